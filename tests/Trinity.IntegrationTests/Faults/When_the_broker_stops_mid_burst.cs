using System.Diagnostics;
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
    public sealed class Scenario : BurstOnOneSubscription
    {
        public static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

        public FaultCell Cell { get; private set; } = null!;
        public int SwitchedWhenStopped { get; private set; }

        public override async Task InitializeAsync()
        {
            await UseOwnBrokerAsync();
            await base.InitializeAsync();
            await StartFleetOnTheFirstSubscriptionAsync();
            await StartOrchestratorAsync(extra: PatientOrchestrator);
            // The burst lasts about twenty seconds, longer than a node's stop.
            await StartRotationWorkerAsync(extra: SlowWorker);

            await StartTheBurstAsync();
            await OwnBroker!.StopAsync();
            SwitchedWhenStopped = await SwitchedAsync();
            await Task.Delay(Outage);
            await OwnBroker.StartAsync();
            var cleared = Stopwatch.StartNew();
            Cell = await FaultCell.RecoverAsync(this, "broker@stopped-mid-burst", SwitchedWhenStopped is > 0 and < Agents,
                $"{SwitchedWhenStopped} of {Agents} agents had switched when the node stopped for {Outage.TotalSeconds:F0} s", cleared,
                EveryAgentSwitchedAndRunsItsAssignmentAsync, RunRecordAsync, TimeSpan.FromSeconds(120));
        }
    }

    [Fact]
    public void The_stop_cut_the_burst_and_the_checker_is_green_once_quiet()
    {
        Assert.True(scenario.Cell.HitTheStep, scenario.Cell.ToString());
        Assert.True(scenario.Cell.Violations.Count == 0, scenario.Cell.ToString());
    }

    [Fact]
    public Task Every_agent_moved_exactly_once_by_hot_reload() => scenario.AssertEveryAgentMovedExactlyOnceByHotReloadAsync();
}
