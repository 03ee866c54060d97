using System.Diagnostics;

namespace Trinity.Testing.Invariants;

/// <summary>
/// One cell of the fault matrix as it went: whether the fault really hit the step it names (the service logged the
/// step, and died of it when it was a kill), how long the system took from the fault cleared to quiet with the
/// checker green, and what the checker then said.
/// </summary>
public sealed record FaultCell(string Name, bool HitTheStep, string Evidence, TimeSpan Recovery, IReadOnlyList<Violation> Violations)
{
    public override string ToString() =>
        $"{Name}: {(HitTheStep ? "hit" : "MISSED")} ({Evidence}), recovered in {Recovery.TotalSeconds:F1} s, {Violations.Count} violations{string.Concat(Violations.Select(v => "\n  " + v))}";

    /// <summary>The cell's recovery: from <paramref name="cleared"/> until the system is quiet and <paramref name="settled"/> holds, then the checker.</summary>
    public static async Task<FaultCell> RecoverAsync(TrinityTestSystem system, string name, bool hit, string evidence, Stopwatch cleared,
        Func<Task<bool>> settled, Func<Task<RunRecord>> run, TimeSpan? timeout = null)
    {
        await Eventually.Until(settled, $"{name}: the system to settle after the fault", timeout ?? TimeSpan.FromSeconds(90));
        await system.WaitUntilQuietAsync(timeout ?? TimeSpan.FromSeconds(90), errorQueuesToo: false);
        var recovery = cleared.Elapsed;
        var violations = InvariantChecker.Check(await InvariantSnapshot.TakeAsync(system, await run()));
        RecoveryFigures.Record(name, recovery, hit ? evidence : "the fault missed its step");
        return new FaultCell(name, hit, evidence, recovery, violations);
    }

    /// <summary>The line <see cref="Trinity.Hosting.Faults.FaultPoints"/> writes when a configured step is reached.</summary>
    public static bool Reached(ServiceProcess process, string step) =>
        process.Output.Any(line => line.Contains($"step {step} reached", StringComparison.Ordinal));
}
