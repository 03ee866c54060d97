using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>
/// Fifty agents (one fleet-mode agent server) share subscription A; one of them (<c>f07</c>) is registered with
/// a wrong control key, so every reload of it is rejected. A gets a new key; then A is removed (everyone moves
/// to B); then B is removed with nowhere left to go. The test plays the container manager (no containers run).
/// </summary>
public sealed class When_a_shared_subscription_rolls_over_and_is_removed(When_a_shared_subscription_rolls_over_and_is_removed.Scenario scenario)
    : IClassFixture<When_a_shared_subscription_rolls_over_and_is_removed.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const int Count = 50;
        public const string Broken = "f07";
        public string TokenA1 { get; } = Canary.NewToken();
        public string TokenA2 { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public FleetAgentServer Fleet { get; private set; } = null!;
        public Dictionary<string, string?> AfterRollover { get; } = [];
        public Dictionary<string, Guid?> AssignedAfterRemoval { get; } = [];
        public Dictionary<string, string?> AfterRemoval { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA1);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            Fleet = await StartFleetAsync(Enumerable.Range(0, Count).Select(i => ($"f{i:00}", (string?)TokenA1)));
            foreach (var agent in Fleet.Agents)
                await RegisterAgentAsync(agent.AgentName, A.Id, agent.BaseUrl, agent.AgentName == Broken ? "wrong-key-0123456789abcdef" : agent.ControlKey);
            await StartObserverAsync(containerManager: context => context.Publish(new ContainerRecreateSkipped
            {
                RotationId = context.Message.RotationId,
                AgentName = context.Message.AgentName,
                Reason = RecreateSkipReason.NotRunning,
            }));
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();

            // Rollover: the API's part (new key, new version, the old fingerprint kept), then its event.
            await using (var db = NewDbContext())
            {
                var a = await db.Subscriptions.SingleAsync(s => s.Id == A.Id);
                (a.EncryptedToken, a.TokenFingerprint, a.KeyVersion) = (Cipher.Encrypt(TokenA2), TokenFingerprint.Of(TokenA2), 2);
                db.SubscriptionKeys.Add(new SubscriptionKey { SubscriptionId = a.Id, KeyVersion = 2, TokenFingerprint = a.TokenFingerprint, CreatedAt = DateTimeOffset.UtcNow });
                await db.SaveChangesAsync();
            }
            await Observer.Publish(new SubscriptionKeyRolledOver { SubscriptionId = A.Id, KeyVersion = 2 });
            await Eventually.Until(async () => (await RotationsAsync()).Count(r => r.Trigger == SwitchTrigger.Rollover && r.Outcome != RotationOutcome.InProgress), n => n == Count, "every rollover to end");
            await WaitUntilQuietAsync();
            foreach (var agent in Fleet.Agents)
                AfterRollover[agent.AgentName] = (await agent.LiveCredentialAsync()).Fingerprint;

            await RemoveAsync(A);
            await Eventually.Until(async () => (await RotationsAsync()).Count(r => r.Trigger == SwitchTrigger.Removal && r.Outcome != RotationOutcome.InProgress), n => n == Count, "every move off A to end");
            await WaitUntilQuietAsync();
            foreach (var agent in Fleet.Agents)
            {
                AfterRemoval[agent.AgentName] = (await agent.LiveCredentialAsync()).Fingerprint;
                AssignedAfterRemoval[agent.AgentName] = (await AgentAsync(agent.AgentName)).SubscriptionId;
            }

            await RemoveAsync(B);
            await Eventually.Until(async () => (await RotationsAsync()).Count(r => r.Trigger == SwitchTrigger.Removal && r.Outcome != RotationOutcome.InProgress), n => n == 2 * Count, "every agent to leave subscription mode");
            await WaitUntilQuietAsync();
        }

        async Task RemoveAsync(Subscription subscription)
        {
            await using (var db = NewDbContext())
                await db.Subscriptions.Where(s => s.Id == subscription.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.DeletedAt, DateTimeOffset.UtcNow));
            await Observer.Publish(new SubscriptionRemoved { SubscriptionId = subscription.Id });
        }
    }

    [Fact]
    public void A_new_key_reaches_every_agent_on_the_subscription_but_the_broken_one()
    {
        Assert.All(scenario.AfterRollover.Where(a => a.Key != Scenario.Broken), a => Assert.Equal(TokenFingerprint.Of(scenario.TokenA2), a.Value));
        Assert.Equal(TokenFingerprint.Of(scenario.TokenA1), scenario.AfterRollover[Scenario.Broken]);
    }

    [Fact]
    public async Task The_broken_agent_fails_visibly_without_holding_up_the_others()
    {
        var rollovers = (await scenario.RotationsAsync()).Where(r => r.Trigger == SwitchTrigger.Rollover).ToList();
        Assert.Equal(Scenario.Count - 1, rollovers.Count(r => r.Outcome == RotationOutcome.Succeeded));
        var broken = Assert.Single(rollovers, r => r.Outcome == RotationOutcome.Failed);
        Assert.Equal(Scenario.Broken, broken.AgentName);
        Assert.StartsWith("Rejected", broken.OutcomeDetail, StringComparison.Ordinal);
    }

    [Fact]
    public void Removing_a_subscription_moves_every_agent_on_it_to_the_alternative()
    {
        Assert.All(scenario.AssignedAfterRemoval, a => Assert.Equal(scenario.B.Id, a.Value));
        Assert.All(scenario.AfterRemoval.Where(a => a.Key != Scenario.Broken), a => Assert.Equal(TokenFingerprint.Of(scenario.TokenB), a.Value));
    }

    [Fact]
    public async Task With_no_alternative_left_every_agent_leaves_subscription_mode_and_exhaustion_is_published()
    {
        await using var db = scenario.NewDbContext();
        Assert.Equal(Scenario.Count, await db.Agents.CountAsync(a => a.SubscriptionId == null));
        Assert.Equal(Scenario.Count, scenario.Observer.Received<RecreateContainer>().Count);
        Assert.Equal(Scenario.Count, scenario.Observer.Received<AgentSubscriptionsExhausted>().Count(e => e.FailedSubscriptionId == scenario.B.Id));
        Assert.Equal(Scenario.Count, scenario.Observer.Received<AgentSubscriptionSwitched>().Count(s => s.Method == SwitchMethod.Skipped && s.To == null));
    }
}
