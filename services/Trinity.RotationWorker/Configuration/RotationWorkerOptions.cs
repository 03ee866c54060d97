namespace Trinity.RotationWorker.Configuration;

/// <summary>Section <c>Trinity:RotationWorker</c>.</summary>
public sealed class RotationWorkerOptions
{
    public const string Section = "Trinity:RotationWorker";

    /// <summary>One call to an agent; the reference system used 10 s.</summary>
    public TimeSpan AgentCallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts on a transport failure before the agent counts as unreachable.</summary>
    public int UnreachableAttempts { get; set; } = 3;

    /// <summary>First back-off between attempts; doubled each time.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How many reloads one worker carries out at once (each mostly waits on an agent's HTTP answer).</summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>How long a fallback recreate waits for in-flight turns before it stops the container.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
