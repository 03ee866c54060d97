namespace Trinity.Hosting.Faults;

/// <summary>
/// Section <c>Trinity:FaultInjection</c>: empty by default, set only by the tests that prove what a fault at a
/// precise step does — <c>Trinity__FaultInjection__Points__saga-committed=crash</c>, say.
/// </summary>
public sealed class FaultInjectionOptions
{
    public const string Section = "Trinity:FaultInjection";

    /// <summary>
    /// Step → what happens when a process reaches it: <c>crash</c> (SIGKILL, as an OOM kill would), <c>fail</c>
    /// (an <see cref="InjectedFaultException"/>, never retried), <c>fail:N</c> (only the first N times), <c>pause:MS</c>,
    /// <c>pause:MS:N</c> (only the first N times).
    /// The steps are the names code passes to <see cref="FaultPoints.ReachedAsync"/>.
    /// </summary>
    public Dictionary<string, string> Points { get; set; } = [];
}
