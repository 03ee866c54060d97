using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>
/// A manual reassignment A→B hot-reloads. Then B gets a new key in the database but its rollover event never
/// arrives: the reconciler finds the agent lagging and brings it up to date.
/// </summary>
public sealed class When_an_operator_reassigns_and_a_key_update_is_lost(When_an_operator_reassigns_and_a_key_update_is_lost.Scenario scenario)
    : IClassFixture<When_an_operator_reassigns_and_a_key_update_is_lost.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public string TokenB1 { get; } = Canary.NewToken();
        public string TokenB2 { get; } = Canary.NewToken();
        public Subscription B { get; private set; } = null!;
        public AgentServerProcess AgentServer { get; private set; } = null!;
        public string ContainerBefore { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            var a = await AddSubscriptionAsync("subscription-a", tokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB1);
            AgentServer = await StartAgentServerAsync(Agent, tokenA, a.Id);
            await StartObserverAsync();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__ReconcileInterval"] = "00:00:01" });
            await StartRotationWorkerAsync();

            await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = B.Id, RequestedBy = "operator" });
            await Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB1), "the agent to run B");

            await using (var db = NewDbContext())
            {
                var b = await db.Subscriptions.SingleAsync(s => s.Id == B.Id);
                b.EncryptedToken = Cipher.Encrypt(TokenB2);
                b.TokenFingerprint = TokenFingerprint.Of(TokenB2);
                b.KeyVersion = 2;
                db.SubscriptionKeys.Add(new SubscriptionKey { SubscriptionId = b.Id, KeyVersion = 2, TokenFingerprint = b.TokenFingerprint, CreatedAt = DateTimeOffset.UtcNow });
                await db.SaveChangesAsync();
            }
            await Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB2), "the reconciler to bring the agent to B's new key");
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public async Task The_manual_reassignment_is_a_hot_reload()
    {
        var manual = Assert.Single(await scenario.RotationsAsync(Scenario.Agent), r => r.Trigger == SwitchTrigger.Manual);
        Assert.Equal((SwitchMethod.HotReload, RotationOutcome.Succeeded, scenario.B.Id), (manual.Method, manual.Outcome, manual.ToSubscriptionId));
        Assert.Contains(scenario.Observer.Received<AgentSubscriptionSwitched>(), s => s.Trigger == SwitchTrigger.Manual && s.Method == SwitchMethod.HotReload);
    }

    [Fact]
    public async Task The_reconciler_brings_the_lagging_agent_to_the_new_key_exactly_once()
    {
        var reconciled = Assert.Single(await scenario.RotationsAsync(Scenario.Agent), r => r.Trigger == SwitchTrigger.Reconcile);
        Assert.Equal((2, RotationOutcome.Succeeded), (reconciled.KeyVersion, reconciled.Outcome));
        var saga = (await scenario.SagaAsync(Scenario.Agent))!;
        Assert.Equal((scenario.B.Id, 2, false), (saga.AppliedSubscriptionId, saga.AppliedKeyVersion, saga.OutOfSync));
        Assert.Equal(2, (await scenario.AgentServer.LiveCredentialAsync()).Reloads);
    }
}
