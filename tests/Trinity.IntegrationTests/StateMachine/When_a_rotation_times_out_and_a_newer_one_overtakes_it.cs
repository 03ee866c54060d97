using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>
/// No worker runs: a failure on A starts a hot-reload to B (fence 1) that nobody answers, and a reassignment to
/// C arrives meanwhile. The reload passes its deadline; the reassignment is applied after it (fence 2). Then a
/// worker starts and meets the stale <c>ReloadToken</c> first.
/// </summary>
public sealed class When_a_rotation_times_out_and_a_newer_one_overtakes_it(When_a_rotation_times_out_and_a_newer_one_overtakes_it.Scenario scenario)
    : IClassFixture<When_a_rotation_times_out_and_a_newer_one_overtakes_it.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public (Subscription A, Subscription B, Subscription C) Subs { get; private set; }
        public string TokenC { get; } = Canary.NewToken();
        public AgentServerProcess AgentServer { get; private set; } = null!;
        public Rotation First { get; private set; } = null!;
        public AgentCredentialState SagaAfterTimeout { get; private set; } = null!;
        public string? LeaseOwnerAfterTimeout { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            Subs = (await AddSubscriptionAsync("subscription-a", tokenA), await AddSubscriptionAsync("subscription-b", Canary.NewToken()),
                await AddSubscriptionAsync("subscription-c", TokenC));
            AgentServer = await StartAgentServerAsync(Agent, tokenA, Subs.A.Id);
            await StartObserverAsync();
            // Long enough for a worker started on a loaded machine to take the second rotation's command in time.
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__ReloadDeadline"] = "00:00:20" });

            await Observer.Publish(Failure(Agent, Subs.A.Id));
            await Eventually.Until(async () => (await RotationsAsync(Agent)).Count, n => n == 1, "the first rotation to start");
            await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = Subs.C.Id, RequestedBy = "operator" });

            await Eventually.Until(async () => (await RotationsAsync(Agent)).Count, n => n == 2, "the reassignment to start after the timed-out reload");
            SagaAfterTimeout = (await SagaAsync(Agent))!;
            LeaseOwnerAfterTimeout = await LeaseOwnerAsync(Agent);

            await StartRotationWorkerAsync();
            await Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenC), "the agent to run C");
            await WaitUntilQuietAsync();
            First = (await RotationsAsync(Agent))[0];
        }
    }

    [Fact]
    public void A_reload_with_no_answer_fails_at_its_deadline_and_leaves_the_agent_visibly_out_of_sync()
    {
        Assert.Equal((RotationOutcome.Failed, scenario.Subs.B.Id), (scenario.First.Outcome, scenario.First.ToSubscriptionId));
        Assert.StartsWith("DeadlinePassed", scenario.First.OutcomeDetail, StringComparison.Ordinal);
        Assert.True(scenario.SagaAfterTimeout.OutOfSync);
    }

    [Fact]
    public void The_failed_rotation_lets_go_of_the_lease()
    {
        Assert.NotEqual(scenario.First.Id.ToString(), scenario.LeaseOwnerAfterTimeout);
        Assert.Equal(scenario.SagaAfterTimeout.RotationId.ToString(), scenario.LeaseOwnerAfterTimeout);
    }

    [Fact]
    public async Task The_reassignment_that_arrived_mid_rotation_is_applied_afterwards()
    {
        var second = (await scenario.RotationsAsync(Scenario.Agent))[1];
        Assert.Equal((SwitchTrigger.Manual, scenario.Subs.C.Id, RotationOutcome.Succeeded), (second.Trigger, second.ToSubscriptionId, second.Outcome));
        Assert.True(second.FencingToken > scenario.First.FencingToken);
        var switched = Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        Assert.Equal(second.Id, switched.RotationId);
        Assert.False((await scenario.SagaAsync(Scenario.Agent))!.OutOfSync);
    }

    [Fact]
    public async Task The_stale_reload_carrying_the_older_fencing_token_is_refused_and_recorded()
    {
        Assert.Contains("FencingTokenStale", scenario.First.OutcomeDetail, StringComparison.Ordinal);
        Assert.Contains(scenario.Observer.Received<TokenRotationFailed>(), f => f.RotationId == scenario.First.Id && f.Reason == RotationFailureReason.FencingTokenStale);
        Assert.Equal(1, (await scenario.AgentServer.LiveCredentialAsync()).Reloads);
    }
}
