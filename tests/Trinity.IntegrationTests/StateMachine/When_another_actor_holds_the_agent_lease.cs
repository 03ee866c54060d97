using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>The lease is the contract for anything that changes an agent: while a fleet restart holds it, a rotation waits, then proceeds.</summary>
public sealed class When_another_actor_holds_the_agent_lease(When_another_actor_holds_the_agent_lease.Scenario scenario)
    : IClassFixture<When_another_actor_holds_the_agent_lease.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public string TokenB { get; } = Canary.NewToken();
        public AgentServerProcess AgentServer { get; private set; } = null!;
        public int RotationsWhileHeld { get; private set; } = -1;
        public DateTimeOffset HeldUntil { get; private set; }
        public DateTimeOffset SwitchedAt { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            var a = await AddSubscriptionAsync("subscription-a", tokenA);
            await AddSubscriptionAsync("subscription-b", TokenB);
            AgentServer = await StartAgentServerAsync(Agent, tokenA, a.Id);
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();

            Assert.True(await HoldLeaseAsync(Agent, "fleet-restart", TimeSpan.FromSeconds(5)));
            HeldUntil = DateTimeOffset.UtcNow.AddSeconds(5);
            await Observer.Publish(Failure(Agent, a.Id));
            await Eventually.Until(async () => (await FailuresAsync()).Count, n => n == 1, "the report to be recorded");
            await Task.Delay(TimeSpan.FromSeconds(2));
            RotationsWhileHeld = (await RotationsAsync(Agent)).Count;

            await Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), "the rotation once the lease is free");
            SwitchedAt = DateTimeOffset.UtcNow;
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void The_rotation_waits_while_the_lease_is_held()
    {
        Assert.Equal(0, scenario.RotationsWhileHeld);
        Assert.True(scenario.SwitchedAt >= scenario.HeldUntil.AddMilliseconds(-200));
    }

    [Fact]
    public async Task Then_it_proceeds_exactly_once_and_nothing_is_dropped()
    {
        Assert.Equal(RotationOutcome.Succeeded, Assert.Single(await scenario.RotationsAsync(Scenario.Agent)).Outcome);
        Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        Assert.All(await scenario.QueuesAsync(), q => Assert.True(q.IsEmpty, q.Name));
    }
}
