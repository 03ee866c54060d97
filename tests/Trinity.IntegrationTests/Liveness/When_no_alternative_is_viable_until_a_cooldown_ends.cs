using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Liveness;

/// <summary>
/// B is rate-limited (another agent's report; the cooldown is shortened to 8 s), then A fails for <c>alpha</c>: no
/// alternative is viable. Nobody reports anything more — yet once B's cooldown ends, <c>alpha</c> must be looked at
/// again and moved to B.
/// </summary>
public sealed class When_no_alternative_is_viable_until_a_cooldown_ends(When_no_alternative_is_viable_until_a_cooldown_ends.Scenario scenario)
    : IClassFixture<When_no_alternative_is_viable_until_a_cooldown_ends.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(8);
        public string TokenB { get; } = Canary.NewToken();
        public DateTimeOffset BCoolsDownUntil { get; private set; }
        public DateTimeOffset SwitchedAt { get; private set; }
        public string? DecisionWhileExhausted { get; private set; }
        public ReportSubscriptionFailure OnA { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            var a = await AddSubscriptionAsync("subscription-a", tokenA);
            var b = await AddSubscriptionAsync("subscription-b", TokenB);
            var agent = await StartAgentServerAsync(Agent, tokenA, a.Id);
            await StartObserverAsync();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__Cooldown"] = Cooldown.ToString() });
            await StartRotationWorkerAsync();

            var onB = Failure("beta", b.Id);
            BCoolsDownUntil = onB.OccurredAt + Cooldown;
            await Observer.Publish(onB);
            await Eventually.Until(async () => (await FailuresAsync()).Any(f => f.Id == onB.FailureId && f.Decision is not null), "B's failure to be recorded");
            OnA = Failure(Agent, a.Id);
            await Observer.Publish(OnA);
            await Eventually.Until(() => Observer.Received<AgentSubscriptionsExhausted>().Count == 1, "no alternative to be viable");
            DecisionWhileExhausted = (await FailuresAsync()).Single(f => f.Id == OnA.FailureId).Decision;

            await Eventually.Until(agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), "the agent to be moved to B without another report",
                TimeSpan.FromSeconds(40));
            SwitchedAt = DateTimeOffset.UtcNow;
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void While_B_cooled_down_the_agent_was_exhausted_and_told_when_it_would_be_looked_at_again()
    {
        Assert.StartsWith("exhausted: no viable alternative; looked at again at", scenario.DecisionWhileExhausted, StringComparison.Ordinal);
        Assert.Single(scenario.Observer.Received<AgentSubscriptionsExhausted>());
    }

    [Fact]
    public async Task Once_the_cooldown_ended_the_same_failure_moved_it_with_no_report_in_between()
    {
        Assert.True(scenario.SwitchedAt >= scenario.BCoolsDownUntil, $"switched at {scenario.SwitchedAt:O}, before B's cooldown ended at {scenario.BCoolsDownUntil:O}");
        var switched = Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        Assert.Equal(SwitchTrigger.AutoSwitch, switched.Trigger);
        Assert.Equal("switched to subscription-b", (await scenario.FailuresAsync()).Single(f => f.Id == scenario.OnA.FailureId).Decision);
        Assert.Equal(2, (await scenario.FailuresAsync()).Count);
        Assert.Null((await scenario.SagaAsync(Scenario.Agent))!.RecheckAt);
    }
}
