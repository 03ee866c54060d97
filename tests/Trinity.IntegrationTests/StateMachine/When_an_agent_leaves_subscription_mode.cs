using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>
/// Subscription → API key is a change of auth mode: the saga sends <c>RecreateContainer</c> (the token
/// variable must go) instead of a reload. The test plays the container manager: it drains for longer than the
/// recreate's first deadline, renewing the agent's lease as it works, then answers.
/// </summary>
public sealed class When_an_agent_leaves_subscription_mode(When_an_agent_leaves_subscription_mode.Scenario scenario)
    : IClassFixture<When_an_agent_leaves_subscription_mode.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        static readonly TimeSpan FirstDeadline = TimeSpan.FromSeconds(6);
        public Subscription A { get; private set; } = null!;
        public DateTimeOffset CommandAt { get; private set; }
        public DateTimeOffset AnsweredAt { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", Canary.NewToken());
            await RegisterAgentAsync(Agent, A.Id, "http://127.0.0.1:9", controlKey: null);
            await StartObserverAsync(containerManager: async context =>
            {
                CommandAt = DateTimeOffset.UtcNow;
                // A long drain: renew the lease (as ContainerManager does) well past the first deadline. Each renewal
                // holds it for 4 s: a test process stalled 2 s on a loaded CI machine let a 2 s lease lapse.
                var owner = context.Message.RotationId.ToString();
                for (var elapsed = TimeSpan.Zero; elapsed < FirstDeadline * 2; elapsed += TimeSpan.FromMilliseconds(500))
                {
                    await HoldLeaseAsync(Agent, owner, TimeSpan.FromSeconds(4));
                    await Task.Delay(500);
                }
                AnsweredAt = DateTimeOffset.UtcNow;
                await context.Publish(new ContainerRecreated
                {
                    RotationId = context.Message.RotationId,
                    AgentName = Agent,
                    OldContainerId = "old-container-0001",
                    NewContainerId = "new-container-0002",
                    TurnsOutlivingDrain = 0,
                });
            });
            await StartOrchestratorAsync(extra: new Dictionary<string, string?>
            {
                // The first deadline (drain + budget) is FirstDeadline: long enough for a loaded CI machine to deliver the command.
                ["Trinity__Orchestrator__DrainTimeout"] = "00:00:02",
                ["Trinity__Orchestrator__RecreateBudget"] = "00:00:04",
            });

            await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = null, RequestedBy = "operator" });
            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count == 1, "the switch to complete", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public async Task The_saga_sends_a_drained_recreate_not_a_reload()
    {
        var command = Assert.Single(scenario.Observer.Received<RecreateContainer>());
        Assert.Equal((Scenario.Agent, TimeSpan.FromSeconds(2)), (command.AgentName, command.DrainTimeout));
        // No worker runs here: a ReloadToken sent would wait, ready, in its queue (declared by every service at start).
        Assert.True((await scenario.QueuesAsync()).Single(q => q.Name == EntityNames.Queues.RotationWorker).IsEmpty);
    }

    [Fact]
    public async Task The_assignment_is_cleared_with_a_new_fencing_token_before_the_command_is_sent()
    {
        var agent = await scenario.AgentAsync(Scenario.Agent);
        Assert.Null(agent.SubscriptionId);
        Assert.Equal(agent.FencingToken, Assert.Single(scenario.Observer.Received<RecreateContainer>()).FencingToken);
    }

    [Fact]
    public async Task A_recreate_whose_lease_is_still_renewed_past_its_first_deadline_is_not_failed()
    {
        Assert.True(scenario.AnsweredAt - scenario.CommandAt > TimeSpan.FromSeconds(3), "the manager answered before the first deadline: the test proves nothing");
        var rotation = Assert.Single(await scenario.RotationsAsync(Scenario.Agent));
        Assert.Equal((RotationOutcome.Succeeded, SwitchMethod.Recreate), (rotation.Outcome, rotation.Method));
        var switched = Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        Assert.Equal((scenario.A.Id, (Guid?)null, SwitchMethod.Recreate), (switched.From, switched.To, switched.Method));
    }
}
