using MassTransit;
using Microsoft.Extensions.Logging;
using Trinity.Hosting.Faults;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.StateMachines;

/// <summary>
/// One instance per agent: decides when and where its credentials move, and follows each rotation to its
/// outcome. <see cref="IRotationDecisions"/> decides in the message's transaction and says which state follows;
/// <see cref="IRotationLifecycle"/> ends a rotation. Everything they send goes through the transactional outbox —
/// this machine never publishes on the consume context.
/// </summary>
public sealed class AgentCredentialStateMachine : MassTransitStateMachine<AgentCredentialState>
{
    public AgentCredentialStateMachine(ILogger<AgentCredentialStateMachine> logger)
    {
        InstanceState(x => x.CurrentState);

        Event(() => FailureReported, e => CorrelateByAgent(e, context => context.Message.AgentName, createsInstance: true));
        Event(() => ReassignmentRequested, e => CorrelateByAgent(e, context => context.Message.AgentName, createsInstance: true));
        Event(() => TokenRefreshRequested, e => CorrelateByAgent(e, context => context.Message.AgentName, createsInstance: true));
        Event(() => TokenReloaded, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => OverrideFileRead, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => TokenReloadFellBack, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => ContainerRecreated, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => ContainerRecreateSkipped, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => RotationFailed, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => DeadlinePassed, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => ContainerRemoved, e => CorrelateByAgent(e, context => context.Message.AgentName));

        // An answer for a rotation that is no longer in flight (a redelivery, a late worker) changes nothing.
        OnUnhandledEvent(context =>
        {
            logger.LogInformation("Agent {AgentName} in state {State} ignores {Event}", context.Saga.AgentName, context.Saga.CurrentState, context.Event.Name);
            return Task.CompletedTask;
        });

        During(Initial, Idle,
            When(FailureReported).ThenAsync(c => SettleAsync(c, Decisions(c).OnFailureAsync(c.Saga, c.Message, c.CancellationToken))),
            When(ReassignmentRequested).ThenAsync(c => SettleAsync(c, Decisions(c).OnReassignmentAsync(c.Saga, c.Message, c.CancellationToken))),
            When(TokenRefreshRequested).ThenAsync(c => SettleAsync(c, Decisions(c).OnRefreshAsync(c.Saga, c.Message, c.CancellationToken))));

        // A refusal that arrives after its rotation ended (a stale fencing token, say) is kept in that rotation's history.
        During(Idle,
            When(RotationFailed).ThenAsync(c => Lifecycle(c).RecordLateAnswerAsync(c.Message.RotationId, c.Message.Reason, c.Message.Detail, c.CancellationToken)));

        // Nothing is lost while busy: what arrives mid-rotation is applied when the rotation ends (while a deleted
        // agent is removed, a failure is ignored and the rest ends with the instance).
        During(Reloading, Recreating, Removing,
            When(FailureReported).ThenAsync(c => Decisions(c).DeferFailureAsync(c.Saga, c.Message)),
            When(ReassignmentRequested).Then(c => c.Saga.DeferReassignment(c.Message.RequestId, c.Message.SubscriptionId)),
            When(TokenRefreshRequested).Then(c => c.Saga.DeferRefresh(c.Message.CausationId, c.Message.Reason, c.Message.SubscriptionId)),
            When(ContainerRecreated, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => EndAsync(c, rotation => rotation.CompleteAsync(c.Saga, SwitchMethod.Recreate, null,
                    $"container {Short(c.Message.OldContainerId)} → {Short(c.Message.NewContainerId)}; " +
                    (c.Message.Drained ? $"{c.Message.TurnsOutlivingDrain} turns outlived the drain" : "the agent could not be drained (no drain route)"), c.CancellationToken))),
            When(ContainerRecreateSkipped, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => EndAsync(c, rotation => rotation.CompleteAsync(c.Saga, SwitchMethod.Skipped, null,
                    $"{c.Message.Reason}: the next start bakes the database's token", c.CancellationToken))),
            When(RotationFailed, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => EndAsync(c, rotation => rotation.FailAsync(c.Saga, c.Message.Reason, c.Message.Detail, c.CancellationToken))),
            When(RotationFailed, c => c.Message.RotationId != c.Saga.RotationId)
                .ThenAsync(c => Lifecycle(c).RecordLateAnswerAsync(c.Message.RotationId, c.Message.Reason, c.Message.Detail, c.CancellationToken)),
            When(DeadlinePassed, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(async c =>
                {
                    await c.GetServiceOrCreateInstance<FaultPoints>().ReachedAsync("deadline-passed", c.CancellationToken);
                    await EndAsync(c, rotation => rotation.FailAsync(c.Saga, RotationFailureReason.DeadlinePassed,
                        $"no answer by {c.Message.Deadline:O} and the lease was no longer renewed", c.CancellationToken));
                }));

        During(Reloading,
            When(TokenReloaded, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(async c =>
                {
                    // An agent that does not say what it runs stays Reloading while its override file is read, under the same deadline.
                    if (await Lifecycle(c).ConfirmReloadAsync(c.Saga, c.Message.TokenFingerprint, c.CancellationToken))
                        await SettleAsync(c, Decisions(c).ApplyPendingAsync(c.Saga, c.CancellationToken));
                }),
            When(OverrideFileRead, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => EndAsync(c, rotation => rotation.ConfirmByOverrideFileAsync(c.Saga, c.Message, c.CancellationToken))),
            // The worker's fallback and the manager's answer are accepted in whichever order they arrive.
            When(TokenReloadFellBack, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => Lifecycle(c).FollowFallbackAsync(c.Saga, c.Message, c.CancellationToken))
                .TransitionTo(Recreating));

        // A deleted agent's container is gone: nothing of it is left to rotate, and the instance ends (its row is deleted).
        During(Removing,
            When(ContainerRemoved, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => Lifecycle(c).CompleteRemovalAsync(c.Saga, c.Message, c.CancellationToken))
                .Finalize());

        SetCompletedWhenFinalized();
    }

    public State Idle { get; private set; } = null!;
    public State Reloading { get; private set; } = null!;
    public State Recreating { get; private set; } = null!;
    public State Removing { get; private set; } = null!;

    public Event<SubscriptionFailureReported> FailureReported { get; private set; } = null!;
    public Event<SubscriptionReassignmentRequested> ReassignmentRequested { get; private set; } = null!;
    public Event<AgentTokenRefreshRequested> TokenRefreshRequested { get; private set; } = null!;
    public Event<TokenReloaded> TokenReloaded { get; private set; } = null!;
    public Event<OverrideFileRead> OverrideFileRead { get; private set; } = null!;
    public Event<TokenReloadFellBack> TokenReloadFellBack { get; private set; } = null!;
    public Event<ContainerRecreated> ContainerRecreated { get; private set; } = null!;
    public Event<ContainerRecreateSkipped> ContainerRecreateSkipped { get; private set; } = null!;
    public Event<TokenRotationFailed> RotationFailed { get; private set; } = null!;
    public Event<RotationDeadlinePassed> DeadlinePassed { get; private set; } = null!;
    public Event<AgentContainerRemoved> ContainerRemoved { get; private set; } = null!;

    static IRotationDecisions Decisions(ConsumeContext context) => context.GetServiceOrCreateInstance<IRotationDecisions>();

    static IRotationLifecycle Lifecycle(ConsumeContext context) => context.GetServiceOrCreateInstance<IRotationLifecycle>();

    /// <summary>After a decision: idle, following the rotation it started by the method it chose, or ended when no such agent is registered.</summary>
    async Task SettleAsync(BehaviorContext<AgentCredentialState> context, Task<NextState> decision)
    {
        var next = await decision;
        await context.TransitionToState(next switch
        {
            NextState.Reloading => Reloading,
            NextState.Recreating => Recreating,
            NextState.Removing => Removing,
            NextState.Gone => Final,
            _ => Idle,
        });
    }

    /// <summary>Ends the rotation in flight with its outcome, then decides whatever waited for it.</summary>
    async Task EndAsync(BehaviorContext<AgentCredentialState> context, Func<IRotationLifecycle, Task> end)
    {
        await end(Lifecycle(context));
        await SettleAsync(context, Decisions(context).ApplyPendingAsync(context.Saga, context.CancellationToken));
    }

    static string Short(string containerId) => containerId[..Math.Min(12, containerId.Length)];

    static void CorrelateByAgent<T>(IEventCorrelationConfigurator<AgentCredentialState, T> e, Func<ConsumeContext<T>, string> agentName, bool createsInstance = false)
        where T : class
    {
        e.CorrelateById(context => AgentIdentity.For(agentName(context)));
        if (createsInstance)
        {
            e.SetSagaFactory(context => new AgentCredentialState
            {
                CorrelationId = AgentIdentity.For(agentName(context)),
                AgentName = AgentName.Normalize(agentName(context)),
            });
        }
        else
        {
            // An answer about an agent with no state machine is about nothing this system started.
            e.OnMissingInstance(m => m.Discard());
        }
    }
}
