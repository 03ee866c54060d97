using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Liveness;

/// <summary>
/// No worker runs at first, so the switch A → B a failure starts stays in flight. Meanwhile B fails too — a failure
/// that must wait — and then the reconciler's kind of refresh arrives behind it. Once a worker starts and the switch
/// to B completes, the failure about B is decided (the agent moves on to C); the refresh that came later must not
/// have evicted it, or the agent would stay on a rate-limited subscription for good.
/// </summary>
public sealed class When_a_refresh_arrives_behind_a_waiting_failure(When_a_refresh_arrives_behind_a_waiting_failure.Scenario scenario)
    : IClassFixture<When_a_refresh_arrives_behind_a_waiting_failure.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public (Subscription A, Subscription B, Subscription C) Subs { get; private set; }
        public string TokenC { get; } = Canary.NewToken();
        public AgentServerProcess AgentServer { get; private set; } = null!;
        public ReportSubscriptionFailure AboutB { get; private set; } = null!;
        public Infrastructure.Persistence.Sagas.AgentCredentialState WhileWaiting { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            Subs = (await AddSubscriptionAsync("subscription-a", tokenA), await AddSubscriptionAsync("subscription-b", Canary.NewToken()),
                await AddSubscriptionAsync("subscription-c", TokenC));
            AgentServer = await StartAgentServerAsync(Agent, tokenA, Subs.A.Id);
            await StartObserverAsync();
            await StartOrchestratorAsync();

            await Observer.Publish(Failure(Agent, Subs.A.Id));
            await Eventually.Until(async () => (await SagaAsync(Agent))?.CurrentState, state => state == "Reloading", "the switch to B to be in flight");
            AboutB = Failure(Agent, Subs.B.Id);
            await Observer.Publish(AboutB);
            await Eventually.Until(async () => (await SagaAsync(Agent))?.PendingFailureIds.Count, n => n == 1, "the failure about B to wait");
            await Observer.Publish(new AgentTokenRefreshRequested
            {
                AgentName = Agent, SubscriptionId = Subs.B.Id, KeyVersion = 1, Reason = TokenRefreshReason.Reconcile, CausationId = Guid.NewGuid(),
            });
            WhileWaiting = await Eventually.Until(async () => (await SagaAsync(Agent))!, saga => saga.PendingRefreshId is not null, "the refresh to wait too");

            await StartRotationWorkerAsync();
            await Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenC), "the agent to run C");
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void The_refresh_did_not_evict_the_failure_that_waited()
    {
        Assert.Equal([scenario.AboutB.FailureId], scenario.WhileWaiting.PendingFailureIds);
        Assert.NotNull(scenario.WhileWaiting.PendingRefreshId);
    }

    [Fact]
    public async Task The_failure_about_B_moved_the_agent_on_to_C_once_the_switch_to_B_ended()
    {
        var rotations = await scenario.RotationsAsync(Scenario.Agent);
        Assert.Equal([(scenario.Subs.A.Id, scenario.Subs.B.Id), (scenario.Subs.B.Id, scenario.Subs.C.Id)],
            rotations.Select(r => (r.FromSubscriptionId!.Value, r.ToSubscriptionId!.Value)));
        Assert.All(rotations, r => Assert.Equal((SwitchTrigger.AutoSwitch, RotationOutcome.Succeeded), (r.Trigger, r.Outcome)));
        var decided = (await scenario.FailuresAsync()).Single(f => f.Id == scenario.AboutB.FailureId);
        Assert.Equal("switched to subscription-c", decided.Decision);
        Assert.False((await scenario.SagaAsync(Scenario.Agent))!.HasPending);
    }
}
