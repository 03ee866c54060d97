using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The class's own RabbitMQ node is stopped in the middle of a burst — twenty agents rate-limited on one subscription
/// at once, the worker slowed so the burst lasts about 20 s — and started again 10 s later. Nothing the broker held may be
/// lost and nothing done twice: every report is decided, every agent moved exactly once and runs its assigned token,
/// and the checker is green once quiet.
/// </summary>
public sealed class When_the_broker_stops_mid_burst(When_the_broker_stops_mid_burst.Scenario scenario) : IClassFixture<When_the_broker_stops_mid_burst.Scenario>
{
    public const int Agents = 20;

    public sealed class Scenario : TrinityTestSystem
    {
        public static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
        readonly List<string> _tokens = [Canary.NewToken(), Canary.NewToken(), Canary.NewToken()];

        public FleetAgentServer Fleet { get; private set; } = null!;
        public FaultCell Cell { get; private set; } = null!;
        public int SwitchedWhenStopped { get; private set; }

        public override async Task InitializeAsync()
        {
            await UseOwnBrokerAsync();
            await base.InitializeAsync();
            var subscriptions = new List<Subscription>();
            for (var i = 0; i < _tokens.Count; i++)
                subscriptions.Add(await AddSubscriptionAsync($"subscription-{i}", _tokens[i]));
            Fleet = await StartFleetAsync(Enumerable.Range(0, Agents).Select(i => ($"agent-{i:00}", (string?)_tokens[0])));
            foreach (var agent in Fleet.Agents)
                await RegisterAgentAsync(agent.AgentName, subscriptions[0].Id, agent.BaseUrl, agent.ControlKey);
            await StartObserverAsync();
            // The last of twenty reloads, one a second behind an outage, can wait past the default 60 s reload deadline on a
            // loaded machine; it then fails and the reconciler moves the agent — right, but not what this cell is about.
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__ReloadDeadline"] = "00:03:00" });
            // One reload at a time, each held a second: the burst lasts about twenty seconds, longer than a node's stop.
            await StartRotationWorkerAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__RotationWorker__Concurrency"] = "1",
                ["Trinity__FaultInjection__Points__reload-received"] = "pause:1000",
            });

            foreach (var agent in Fleet.Agents)
                await Observer.Publish(Failure(agent.AgentName, subscriptions[0].Id));
            await Eventually.Until(async () => await SwitchedAsync() >= 2, "the burst to be under way");
            await OwnBroker!.StopAsync();
            SwitchedWhenStopped = await SwitchedAsync();
            await Task.Delay(Outage);
            await OwnBroker.StartAsync();
            var cleared = Stopwatch.StartNew();
            Cell = await FaultCell.RecoverAsync(this, "broker@stopped-mid-burst", SwitchedWhenStopped is > 0 and < Agents,
                $"{SwitchedWhenStopped} of {Agents} agents had switched when the node stopped for {Outage.TotalSeconds:F0} s", cleared,
                async () => await SwitchedAsync() == Agents && await EveryAgentRunsItsAssignmentAsync(),
                () => Task.FromResult(new RunRecord
                {
                    LiveCredentials = Fleet.Agents.ToDictionary(a => a.AgentName, a => (Func<Task<string?>>)(async () => (await a.LiveCredentialAsync()).Fingerprint)),
                    Canaries = [.. _tokens],
                }),
                TimeSpan.FromSeconds(120));
        }

        async Task<int> SwitchedAsync()
        {
            await using var db = NewDbContext();
            return await db.Rotations.CountAsync(r => r.Outcome == RotationOutcome.Succeeded);
        }

        async Task<bool> EveryAgentRunsItsAssignmentAsync()
        {
            foreach (var agent in Fleet.Agents)
                if ((await agent.LiveCredentialAsync()).Fingerprint != await AssignedFingerprintAsync(agent.AgentName))
                    return false;
            return true;
        }
    }

    [Fact]
    public void The_stop_cut_the_burst_and_the_checker_is_green_once_quiet()
    {
        Assert.True(scenario.Cell.HitTheStep, scenario.Cell.ToString());
        Assert.True(scenario.Cell.Violations.Count == 0, scenario.Cell.ToString());
    }

    [Fact]
    public async Task Every_agent_moved_exactly_once_by_hot_reload()
    {
        foreach (var agent in scenario.Fleet.Agents)
        {
            var rotation = Assert.Single(await scenario.RotationsAsync(agent.AgentName));
            Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
            Assert.Equal(SwitchMethod.HotReload, rotation.Method);
        }
    }
}
