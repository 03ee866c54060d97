using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.IntegrationTests.StateMachine;

public sealed class When_twenty_failures_for_one_agent_arrive_together(When_twenty_failures_for_one_agent_arrive_together.Scenario scenario)
    : IClassFixture<When_twenty_failures_for_one_agent_arrive_together.Scenario>
{
    public sealed class Scenario() : BurstOnOneAgent(subscriptions: 2, orchestrators: 1, burst: 20);

    [Fact]
    public void Exactly_one_switch_is_made_counted_three_ways()
    {
        Assert.Equal((1, 1, 1), (scenario.Switches.Count, scenario.Published.Count, scenario.ReloadsReceived));
        Assert.Equal(RotationOutcome.Succeeded, scenario.Switches[0].Outcome);
    }

    [Fact]
    public async Task Every_report_is_recorded_with_its_decision()
    {
        var failures = await scenario.FailuresAsync();
        Assert.Equal(20, failures.Count);
        Assert.Single(failures, f => f.Decision!.StartsWith("switched", StringComparison.Ordinal));
        Assert.Equal(19, failures.Count(f => f.Decision!.StartsWith("absorbed", StringComparison.Ordinal) || f.Decision.StartsWith("stale", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_intake_absorbs_the_rest_of_the_burst_before_the_state_machine()
    {
        var absorbed = (await scenario.FailuresAsync()).Count(f => f.Decision!.StartsWith("absorbed", StringComparison.Ordinal));
        // The reports wait in the queue together, so the intake takes them in one or a few groups; one at most
        // is published per group once the first is undecided or its rotation in flight.
        Assert.InRange(absorbed, 10, 19);
        Assert.Equal(20 - absorbed, scenario.Observer.Received<SubscriptionFailureReported>().Count);
    }

    [Fact]
    public async Task The_agent_runs_the_alternative()
    {
        Assert.Equal(TokenFingerprint.Of(scenario.Subscriptions[1].Token), (await scenario.AgentServer.LiveCredentialAsync()).Fingerprint);
        Assert.Null(await scenario.LeaseOwnerAsync(BurstOnOneAgent.Agent));
    }
}
