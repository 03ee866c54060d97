using Trinity.Messaging.Contracts.Identity;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>The stale-failure guard: the rest of a burst on A must not cascade the agent on from B to C.</summary>
public sealed class When_a_burst_hits_one_of_three_subscriptions(When_a_burst_hits_one_of_three_subscriptions.Scenario scenario)
    : IClassFixture<When_a_burst_hits_one_of_three_subscriptions.Scenario>
{
    public sealed class Scenario() : BurstOnOneAgent(subscriptions: 3, orchestrators: 1, burst: 20);

    [Fact]
    public async Task The_agent_ends_on_B_and_never_visits_C()
    {
        var (b, c) = (scenario.Subscriptions[1].Subscription, scenario.Subscriptions[2].Subscription);
        Assert.Equal(b.Id, (await scenario.AgentAsync(BurstOnOneAgent.Agent)).SubscriptionId);
        Assert.Equal(TokenFingerprint.Of(scenario.Subscriptions[1].Token), (await scenario.AgentServer.LiveCredentialAsync()).Fingerprint);
        Assert.DoesNotContain(await scenario.RotationsAsync(BurstOnOneAgent.Agent), r => r.ToSubscriptionId == c.Id);
        Assert.Equal((1, 1, 1), (scenario.Switches.Count, scenario.Published.Count, scenario.ReloadsReceived));
    }
}
