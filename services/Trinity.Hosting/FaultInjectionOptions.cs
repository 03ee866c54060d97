using System.Diagnostics;

namespace Trinity.Hosting;

/// <summary>
/// Section <c>Trinity:FaultInjection</c>: off by default, set only by the tests that prove a crash at a
/// precise point loses nothing (the process kills itself with SIGKILL, as an OOM kill would).
/// </summary>
public sealed class FaultInjectionOptions
{
    public const string Section = "Trinity:FaultInjection";

    /// <summary>Die right after a saga transaction commits, before its outbox rows are sent.</summary>
    public bool ExitAfterSagaCommit { get; set; }

    public static void Crash(string where)
    {
        Console.Error.WriteLine($"fault injection: killing this process {where}");
        Process.GetCurrentProcess().Kill();
    }
}
