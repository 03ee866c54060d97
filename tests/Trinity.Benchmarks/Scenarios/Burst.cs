using Microsoft.EntityFrameworkCore;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.Benchmarks.Scenarios;

/// <summary>
/// N agents (one agent server in fleet mode) on subscription A, B free; M failure reports per agent published at
/// once, as many chat executors would. The whole path runs: intake, state machine, worker, agent.
/// </summary>
public static class Burst
{
    public static Task RunAsync(int agents, int reportsPerAgent) => BenchmarkSystem.RunAsync(system => MeasureAsync(system, agents, reportsPerAgent));

    static async Task MeasureAsync(BenchmarkSystem system, int agents, int reportsPerAgent)
    {
        var (tokenA, tokenB) = (Canary.NewToken(), Canary.NewToken());
        var a = await system.AddSubscriptionAsync("bench-a", tokenA);
        await system.AddSubscriptionAsync("bench-b", tokenB);
        var names = Enumerable.Range(1, agents).Select(i => $"burst-{i:D4}").ToList();
        var (_, warm) = await system.StartFleetAsync(names, tokenA, a.Id);
        var observer = await system.StartObserverAsync();
        await system.StartOrchestratorAsync(extra: BenchmarkSystem.Quiet);
        await system.StartRotationWorkerAsync(extra: BenchmarkSystem.Quiet);

        // One failure and switch first, not measured: a fresh process pays for JIT compilation once.
        await observer.Publish(TrinityTestSystem.Failure(BenchmarkSystem.WarmUpAgent, warm.Id));
        await Eventually.Until(() => observer.Received<AgentSubscriptionSwitched>().Any(s => s.AgentName == BenchmarkSystem.WarmUpAgent), "the warm-up switch", TimeSpan.FromMinutes(1));
        await system.WaitUntilQuietAsync();
        var warmUpFailures = 1;

        // Every report built before the clock starts; then all published with many in flight.
        var reports = names.SelectMany(n => Enumerable.Range(0, reportsPerAgent).Select(_ => TrinityTestSystem.Failure(n, a.Id))).ToList();
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(reports));
        var firstPublished = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        var profile = CpuProfile.Start();
        var wallStart = DateTimeOffset.UtcNow;
        var start = Measure.Now();
        await Parallel.ForEachAsync(reports, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (report, _) =>
        {
            firstPublished.TryAdd(report.AgentName, Measure.Now());
            await observer.Publish(report);
        });
        var published = Measure.Now();

        bool Measured(string agent) => agent.StartsWith("burst-", StringComparison.Ordinal);
        await Eventually.Until(() => observer.Received<AgentSubscriptionSwitched>().Select(s => s.AgentName).Where(Measured).Distinct().Count() >= agents,
            $"{agents} switches", TimeSpan.FromMinutes(5));
        var lastSwitch = observer.ReceivedWithTimes<AgentSubscriptionSwitched>().Where(s => Measured(s.Message.AgentName)).Max(s => s.At);
        await system.WaitUntilQuietAsync(TimeSpan.FromMinutes(2));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var cpu = profile.Stop(system.Processes);

        var recorded = await system.CountAsync(db => db.Failures.CountAsync()) - warmUpFailures;
        var absorbed = await system.CountAsync(db => db.Failures.CountAsync(f => f.Decision != null && f.Decision.StartsWith("absorbed")));
        var lastRecordedAt = await system.LastFailureRecordedAtAsync();
        var intakeSeconds = (lastRecordedAt!.Value - wallStart).TotalSeconds;
        var switches = observer.ReceivedWithTimes<AgentSubscriptionSwitched>().Where(s => Measured(s.Message.AgentName)).ToList();
        var distinct = switches.Select(s => s.Message.AgentName).Distinct().Count();
        var succeededRotations = await system.CountAsync(db => db.Rotations.CountAsync(r => r.Outcome == Infrastructure.Persistence.Entities.RotationOutcome.Succeeded && r.AgentName.StartsWith("burst-")));
        var latencies = switches.GroupBy(s => s.Message.AgentName)
            .Select(g => Measure.Milliseconds(firstPublished[g.Key], g.Min(s => s.At)))
            .ToList();
        var total = agents * reportsPerAgent;
        var rate = recorded / intakeSeconds;
        BenchmarkReport.Write("burst", $"""
            ## 2. Burst

            `./trinity bench burst` — {agents} agents (one agent server in fleet mode) on subscription A, B free; {reportsPerAgent} failure reports per agent ({total} in all) published at once in random order, 64 in flight, then the whole path: intake → state machine → worker → agent → back. One failure of another agent runs first, not measured (warm-up).

            | figure | measured | target |
            |---|---|---|
            | reports published | {total} in {Measure.Ms(Measure.Milliseconds(start, published))} | |
            | reports recorded by the intake | {recorded} | {total} |
            | reports absorbed at the intake (recorded, not sent on to the state machine) | {absorbed} | |
            | reports per second (publish start → last report recorded) | **{Measure.Number(rate)}** | ≥ 1,000 |
            | first report → last switch | {Measure.Ms(Measure.Milliseconds(start, lastSwitch))} | |
            | report → switched, p50 / p99 (an agent's first report → its `AgentSubscriptionSwitched`) | {Measure.Ms(Measure.Percentile(latencies, 50))} / {Measure.Ms(Measure.Percentile(latencies, 99))} | |
            | switches (agents switched / `AgentSubscriptionSwitched` events / succeeded rotations) | {distinct} / {switches.Count} / {succeededRotations} | exactly {agents} |
            | duplicates | **{switches.Count - distinct}** | 0 |

            Counted after every queue was empty plus 2 s. CPU during the burst: {CpuProfile.Describe(cpu)}.
            """);
    }
}
