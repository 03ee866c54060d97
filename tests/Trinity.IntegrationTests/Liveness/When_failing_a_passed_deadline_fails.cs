using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Liveness;

/// <summary>
/// No worker runs, so the hot-reload a failure starts is never answered; when its deadline passes, the state machine's
/// handling of <c>RotationDeadlinePassed</c> fails once for good (an injected fault, never retried: it stands for
/// Redis down past the retry budget), so that message lands in <c>_error</c>. The deadline must fire again until the
/// rotation has really ended.
/// </summary>
public sealed class When_failing_a_passed_deadline_fails(When_failing_a_passed_deadline_fails.Scenario scenario)
    : IClassFixture<When_failing_a_passed_deadline_fails.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public Rotation Rotation { get; private set; } = null!;
        public Infrastructure.Persistence.Sagas.AgentCredentialState Saga { get; private set; } = null!;
        public int DeadLettered { get; private set; }
        public ServiceProcess Orchestrator { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            var a = await AddSubscriptionAsync("subscription-a", tokenA);
            await AddSubscriptionAsync("subscription-b", Canary.NewToken());
            await StartAgentServerAsync(Agent, tokenA, a.Id);
            await StartObserverAsync();
            Orchestrator = await StartOrchestratorAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__Orchestrator__ReloadDeadline"] = "00:00:03",
                ["Trinity__Orchestrator__DeadlineRepeat"] = "00:00:02",
                ["Trinity__FaultInjection__Points__deadline-passed"] = "fail:1",
            });

            await Observer.Publish(Failure(Agent, a.Id));
            await Eventually.Until(async () => (await RotationsAsync(Agent)).SingleOrDefault()?.Outcome, outcome => outcome == RotationOutcome.Failed,
                "the rotation to fail at its deadline", TimeSpan.FromSeconds(45));
            await Eventually.Until(async () => (await SagaAsync(Agent))?.CurrentState, state => state == "Idle", "the agent to be idle");
            Rotation = (await RotationsAsync(Agent)).Single();
            Saga = (await SagaAsync(Agent))!;
            // The management API's counts refresh every second.
            DeadLettered = await Eventually.Until(async () => (await QueuesAsync()).Single(q => q.Name == EntityNames.Queues.AgentCredentials + "_error").Ready,
                n => n > 0, "the failed deadline message to show in _error");
            await Task.Delay(TimeSpan.FromSeconds(3));
            DeadLettered = (await QueuesAsync()).Single(q => q.Name == EntityNames.Queues.AgentCredentials + "_error").Ready;
        }
    }

    [Fact]
    public void The_first_deadline_message_was_lost_to_the_injected_fault()
    {
        Assert.Equal(1, scenario.DeadLettered);
        Assert.Contains(scenario.Orchestrator.Output, line => line.Contains("Fault injection: step deadline-passed reached", StringComparison.Ordinal));
    }

    [Fact]
    public void The_deadline_fired_again_and_ended_the_rotation()
    {
        Assert.StartsWith("DeadlinePassed", scenario.Rotation.OutcomeDetail, StringComparison.Ordinal);
        Assert.NotNull(scenario.Rotation.CompletedAt);
        Assert.Equal((null, null), (scenario.Saga.RotationId, scenario.Saga.DeadlineAt));
        Assert.True(scenario.Saga.OutOfSync);
    }
}
