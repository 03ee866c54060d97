using System.Net.Http.Json;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.Benchmarks.Scenarios;

/// <summary>One subscription shared by N agents (fleet mode) gets a new key through the API: time until every agent runs it.</summary>
public static class RolloverFanOut
{
    public static Task RunAsync(int agents) => BenchmarkSystem.RunAsync(system => MeasureAsync(system, agents));

    static async Task MeasureAsync(BenchmarkSystem system, int agents)
    {
        var (oldToken, newToken) = (Canary.NewToken(), Canary.NewToken());
        var shared = await system.AddSubscriptionAsync("bench-shared", oldToken);
        var names = Enumerable.Range(1, agents).Select(i => $"fleet-{i:D4}").ToList();
        var (fleet, warm) = await system.StartFleetAsync(names, oldToken, shared.Id);
        var observer = await system.StartObserverAsync();
        await system.StartOrchestratorAsync(extra: BenchmarkSystem.Quiet);
        await system.StartRotationWorkerAsync(extra: BenchmarkSystem.Quiet);
        var (_, api) = await system.StartApiAsync();

        // One rollover of another subscription first, not measured: a fresh process pays for JIT compilation once.
        (await api.PostAsJsonAsync("/api/subscriptions", new { name = warm.Name, token = Canary.NewToken() })).EnsureSuccessStatusCode();
        await Eventually.Until(() => observer.Received<AgentSubscriptionSwitched>().Any(s => s.AgentName == BenchmarkSystem.WarmUpAgent), "the warm-up rollover", TimeSpan.FromMinutes(1));

        var profile = CpuProfile.Start();
        var start = Measure.Now();
        (await api.PostAsJsonAsync("/api/subscriptions", new { name = "bench-shared", token = newToken })).EnsureSuccessStatusCode();
        bool Measured(string agent) => agent.StartsWith("fleet-", StringComparison.Ordinal);
        await Eventually.Until(() => observer.Received<AgentSubscriptionSwitched>().Count(s => s.Trigger == SwitchTrigger.Rollover && Measured(s.AgentName)) >= agents,
            $"{agents} agents to take the new key", TimeSpan.FromMinutes(5));
        var last = observer.ReceivedWithTimes<AgentSubscriptionSwitched>().Where(s => s.Message.Trigger == SwitchTrigger.Rollover && Measured(s.Message.AgentName)).Max(s => s.At);
        var firstReload = observer.ReceivedWithTimes<TokenReloaded>().Where(s => Measured(s.Message.AgentName)).Min(s => s.At);
        var cpu = profile.Stop(system.Processes);

        // Asked of every agent itself, after the fact: the events say it, the agents must agree.
        var expected = TokenFingerprint.Of(newToken);
        var running = 0;
        await Parallel.ForEachAsync(fleet.Agents.Where(a => Measured(a.AgentName)), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (agent, _) =>
        {
            if ((await agent.LiveCredentialAsync()).Fingerprint == expected)
                Interlocked.Increment(ref running);
        });
        var seconds = Measure.Milliseconds(start, last) / 1000;
        BenchmarkReport.Write("rollover", $"""
            ## 3. Rollover fan-out

            `./trinity bench rollover` — one subscription shared by {agents} agents (fleet mode) gets a new token through `POST /api/subscriptions`; the key-rollover event fans out to every agent's state machine, each hot-reloads. One rollover of another subscription runs first, not measured (warm-up).

            | figure | measured | target |
            |---|---|---|
            | API call → last agent confirmed on the new key (`AgentSubscriptionSwitched`, trigger rollover) | **{Measure.Number(seconds, "0.00")} s** | ≤ 5 s |
            | API call → first agent reloaded | {Measure.Ms(Measure.Milliseconds(start, firstReload))} | |
            | agents running the new fingerprint, asked of each afterwards | {running} of {agents} | all |
            | rotations per second | {Measure.Number(agents / seconds)} | |

            CPU during the fan-out: {CpuProfile.Describe(cpu)}.
            """);
    }
}
