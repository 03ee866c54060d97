using System.Diagnostics;
using Trinity.IntegrationTests.Faults;
using Trinity.Messaging.Contracts;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Cluster;

/// <summary>
/// A RabbitMQ cluster of three nodes, two replicas of the Orchestrator and two of the worker. Twenty agents, half on
/// Docker host north (127.0.0.1) and half on south (127.0.0.2), are rate-limited on one subscription at once, the worker slowed so the burst lasts a while; in the middle of it one
/// Orchestrator replica is SIGKILLed holding what it had taken, and the node that leads the state machine's quorum
/// queue is stopped. The queue elects a leader on another node, every service reconnects to a node that runs, and
/// the node comes back 10 s later and rejoins. Nothing may be lost or done twice: every agent moved exactly once and
/// runs its assigned token, and the checker is green once quiet.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class When_the_node_leading_the_state_machine_stops_mid_burst(When_the_node_leading_the_state_machine_stops_mid_burst.Scenario scenario)
    : IClassFixture<When_the_node_leading_the_state_machine_stops_mid_burst.Scenario>
{
    public sealed class Scenario : BurstOnOneSubscription
    {
        public static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
        static readonly (string, string)[] Hosts = [("north", "127.0.0.1"), ("south", "127.0.0.2")];
        static readonly Dictionary<string, string?> OnBothHosts = new() { ["Trinity__DockerHosts"] = "north=127.0.0.1,south=127.0.0.2" };

        public FaultCell Cell { get; private set; } = null!;
        public string StoppedLeader { get; private set; } = "";
        public string LeaderDuringTheOutage { get; private set; } = "";
        public int? KilledReplicaExitCode { get; private set; }
        public int SwitchedWhenStopped { get; private set; }
        public IReadOnlyDictionary<string, bool> NodesAtTheEnd { get; private set; } = new Dictionary<string, bool>();

        public override async Task InitializeAsync()
        {
            await UseOwnClusterAsync();
            await base.InitializeAsync();
            await StartFleetOnTheFirstSubscriptionAsync(Hosts);
            var orchestrator = new Dictionary<string, string?>(PatientOrchestrator.Concat(OnBothHosts));
            var killed = await StartOrchestratorAsync("orchestrator-1", orchestrator);
            await StartOrchestratorAsync("orchestrator-2", orchestrator);
            // Two slowed replicas: the burst lasts about ten seconds.
            var worker = new Dictionary<string, string?>(SlowWorker.Concat(OnBothHosts));
            await StartRotationWorkerAsync("rotation-worker-1", worker);
            await StartRotationWorkerAsync("rotation-worker-2", worker);

            await StartTheBurstAsync();
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
                EveryAgentSwitchedAndRunsItsAssignmentAsync, RunRecordAsync, TimeSpan.FromSeconds(150));
            NodesAtTheEnd = await Management.NodesAsync();
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
    public Task Every_agent_moved_exactly_once_by_hot_reload() => scenario.AssertEveryAgentMovedExactlyOnceByHotReloadAsync();
}
