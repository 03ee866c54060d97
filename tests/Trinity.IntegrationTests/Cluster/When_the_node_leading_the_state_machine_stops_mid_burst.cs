using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Cluster;

/// <summary>
/// A RabbitMQ cluster of three nodes, two replicas of the Orchestrator and two of the worker. Twenty agents are
/// rate-limited on one subscription at once, the worker slowed so the burst lasts a while; in the middle of it the
/// node that leads the state machine's quorum queue is stopped and one Orchestrator replica is SIGKILLed. The queue
/// elects a leader on another node, every service reconnects to a node that runs, and the node comes back 10 s
/// later. Nothing may be lost or done twice: every agent moved exactly once and runs its assigned token, and the
/// checker is green once quiet.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class When_the_node_leading_the_state_machine_stops_mid_burst(When_the_node_leading_the_state_machine_stops_mid_burst.Scenario scenario)
    : IClassFixture<When_the_node_leading_the_state_machine_stops_mid_burst.Scenario>
{
    public const int Agents = 20;

    public sealed class Scenario : TrinityTestSystem
    {
        public static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
        readonly List<string> _tokens = [Canary.NewToken(), Canary.NewToken(), Canary.NewToken()];

        public FleetAgentServer Fleet { get; private set; } = null!;
        public FaultCell Cell { get; private set; } = null!;
        public string StoppedLeader { get; private set; } = "";
        public string LeaderDuringTheOutage { get; private set; } = "";
        public int? KilledReplicaExitCode { get; private set; }
        public int SwitchedWhenStopped { get; private set; }

        public override async Task InitializeAsync()
        {
            await UseOwnClusterAsync();
            await base.InitializeAsync();
            var subscriptions = new List<Subscription>();
            for (var i = 0; i < _tokens.Count; i++)
                subscriptions.Add(await AddSubscriptionAsync($"subscription-{i}", _tokens[i]));
            Fleet = await StartFleetAsync(Enumerable.Range(0, Agents).Select(i => ($"agent-{i:00}", (string?)_tokens[0])));
            foreach (var agent in Fleet.Agents)
                await RegisterAgentAsync(agent.AgentName, subscriptions[0].Id, agent.BaseUrl, agent.ControlKey);
            await StartObserverAsync();
            var deadline = new Dictionary<string, string?> { ["Trinity__Orchestrator__ReloadDeadline"] = "00:03:00" };
            var killed = await StartOrchestratorAsync("orchestrator-1", deadline);
            await StartOrchestratorAsync("orchestrator-2", deadline);
            // One reload at a time per replica, each held a second: the burst lasts about ten seconds.
            var slow = new Dictionary<string, string?>
            {
                ["Trinity__RotationWorker__Concurrency"] = "1",
                ["Trinity__FaultInjection__Points__reload-received"] = "pause:1000",
            };
            await StartRotationWorkerAsync("rotation-worker-1", slow);
            await StartRotationWorkerAsync("rotation-worker-2", slow);

            foreach (var agent in Fleet.Agents)
                await Observer.Publish(Failure(agent.AgentName, subscriptions[0].Id));
            await Eventually.Until(async () => await SwitchedAsync() >= 2, "the burst to be under way");

            // The replica dies holding what it had taken, then the leader's node stops.
            await killed.KillAsync();
            KilledReplicaExitCode = killed.ExitCode;
            StoppedLeader = (await Management.QueueLeaderAsync(VirtualHost, EntityNames.Queues.AgentCredentials)).Leader;
            var leader = OwnCluster!.Node(StoppedLeader);
            ManageThrough(OwnCluster.Nodes.First(n => n != leader));
            await leader.StopAsync();
            SwitchedWhenStopped = await SwitchedAsync();
            LeaderDuringTheOutage = (await Eventually.Until(() => Management.QueueLeaderAsync(VirtualHost, EntityNames.Queues.AgentCredentials),
                elected => elected.Leader != StoppedLeader && elected.Online.Contains(elected.Leader), "another node to lead the state machine's queue")).Leader;
            await Task.Delay(Outage);
            await leader.StartAsync();
            var cleared = Stopwatch.StartNew();
            var switchedWhenBack = await SwitchedAsync();
            Cell = await FaultCell.RecoverAsync(this, "cluster@leader-stopped-and-orchestrator-killed-mid-burst",
                SwitchedWhenStopped is > 0 and < Agents && KilledReplicaExitCode == 137,
                $"{SwitchedWhenStopped} of {Agents} agents had switched when {StoppedLeader} stopped for {Outage.TotalSeconds:F0} s; "
                + $"{LeaderDuringTheOutage} led meanwhile, {switchedWhenBack} had when it was back; orchestrator-1 exited {KilledReplicaExitCode}", cleared,
                async () => await SwitchedAsync() == Agents && await EveryAgentRunsItsAssignmentAsync(),
                () => Task.FromResult(new RunRecord
                {
                    LiveCredentials = Fleet.Agents.ToDictionary(a => a.AgentName, a => (Func<Task<string?>>)(async () => (await a.LiveCredentialAsync()).Fingerprint)),
                    Canaries = [.. _tokens],
                }),
                TimeSpan.FromSeconds(150));
            NodesAtTheEnd = await Management.NodesAsync();
        }

        public IReadOnlyDictionary<string, bool> NodesAtTheEnd { get; private set; } = new Dictionary<string, bool>();

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
    public void Another_node_led_the_queue_while_its_leader_was_stopped_and_the_node_rejoined()
    {
        Assert.True(scenario.Cell.HitTheStep, scenario.Cell.ToString());
        Assert.Equal(3, scenario.NodesAtTheEnd.Count(n => n.Value));
        Assert.True(scenario.NodesAtTheEnd[scenario.StoppedLeader], $"{scenario.StoppedLeader} rejoined the cluster");
    }

    [Fact]
    public void The_checker_is_green_once_quiet()
    {
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
