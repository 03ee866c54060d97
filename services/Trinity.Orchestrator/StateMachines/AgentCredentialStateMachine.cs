using MassTransit;
using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Services;

namespace Trinity.Orchestrator.StateMachines;

/// <summary>
/// One instance per agent: decides when and where its credentials move, and follows each rotation to its
/// outcome. Decisions are made by <see cref="RotationPlanner"/> in the message's transaction; everything they
/// send goes through the transactional outbox — this machine never publishes on the consume context.
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
        Event(() => TokenReloadFellBack, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => ContainerRecreated, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => ContainerRecreateSkipped, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => RotationFailed, e => CorrelateByAgent(e, context => context.Message.AgentName));
        Event(() => DeadlinePassed, e => CorrelateByAgent(e, context => context.Message.AgentName));

        // An answer for a rotation that is no longer in flight (a redelivery, a late worker) changes nothing.
        OnUnhandledEvent(context =>
        {
            logger.LogInformation("Agent {AgentName} in state {State} ignores {Event}", context.Saga.AgentName, context.Saga.CurrentState, context.Event.Name);
            return Task.CompletedTask;
        });

        During(Initial, Idle,
            Settle(When(FailureReported).ThenAsync(c => Planner(c).HandleFailureAsync(c.Saga, c.Message, c.CancellationToken))),
            Settle(When(ReassignmentRequested).ThenAsync(c => Planner(c).HandleReassignmentAsync(c.Saga, c.Message, c.CancellationToken))),
            Settle(When(TokenRefreshRequested).ThenAsync(c => Planner(c).HandleRefreshAsync(c.Saga, c.Message, c.CancellationToken))));

        // A refusal that arrives after its rotation ended (a stale fencing token, say) is kept in that rotation's history.
        During(Idle,
            When(RotationFailed).ThenAsync(c => Planner(c).RecordFailureAsync(c.Message.RotationId, c.Message.Reason, c.Message.Detail, c.CancellationToken)));

        // Nothing is lost while busy: what arrives mid-rotation is applied when the rotation ends.
        During(Reloading, Recreating,
            When(FailureReported).ThenAsync(c => Planner(c).DeferFailureAsync(c.Saga, c.Message)),
            When(ReassignmentRequested).Then(c =>
                RotationPlanner.Defer(c.Saga, PendingRequestKind.Reassignment, c.Message.RequestId, c.Message.SubscriptionId)),
            When(TokenRefreshRequested).Then(c =>
                RotationPlanner.Defer(c.Saga, PendingRequestKind.Refresh, c.Message.CausationId, c.Message.SubscriptionId, c.Message.Reason)),
            Settle(When(ContainerRecreated, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => Planner(c).CompleteAsync(c.Saga, SwitchMethod.Recreate, null, c.CancellationToken,
                    $"container {c.Message.OldContainerId[..Math.Min(12, c.Message.OldContainerId.Length)]} → {c.Message.NewContainerId[..Math.Min(12, c.Message.NewContainerId.Length)]}; {c.Message.TurnsOutlivingDrain} turns outlived the drain"))),
            Settle(When(ContainerRecreateSkipped, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => Planner(c).CompleteAsync(c.Saga, SwitchMethod.Skipped, null, c.CancellationToken,
                    $"{c.Message.Reason}: the next start bakes the database's token"))),
            Settle(When(RotationFailed, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => Planner(c).FailAsync(c.Saga, c.Message.Reason, c.Message.Detail, c.CancellationToken))),
            When(RotationFailed, c => c.Message.RotationId != c.Saga.RotationId)
                .ThenAsync(c => Planner(c).RecordFailureAsync(c.Message.RotationId, c.Message.Reason, c.Message.Detail, c.CancellationToken)),
            Settle(When(DeadlinePassed, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => Planner(c).FailAsync(c.Saga, RotationFailureReason.DeadlinePassed,
                    $"no answer by {c.Message.Deadline:O} and the lease was no longer renewed", c.CancellationToken))));

        During(Reloading,
            Settle(When(TokenReloaded, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => c.Message.TokenFingerprint == c.Saga.ExpectedFingerprint
                    ? Planner(c).CompleteAsync(c.Saga, SwitchMethod.HotReload, c.Message.TokenFingerprint, c.CancellationToken)
                    : Planner(c).FailAsync(c.Saga, RotationFailureReason.FingerprintMismatch,
                        $"expected {c.Saga.ExpectedFingerprint}, the agent reports {c.Message.TokenFingerprint}", c.CancellationToken))),
            // The worker's fallback and the manager's answer are accepted in whichever order they arrive.
            When(TokenReloadFellBack, c => c.Message.RotationId == c.Saga.RotationId)
                .ThenAsync(c => Planner(c).FollowFallbackAsync(c.Saga, c.Message))
                .TransitionTo(Recreating));
    }

    public State Idle { get; private set; } = null!;
    public State Reloading { get; private set; } = null!;
    public State Recreating { get; private set; } = null!;

    public Event<SubscriptionFailureReported> FailureReported { get; private set; } = null!;
    public Event<SubscriptionReassignmentRequested> ReassignmentRequested { get; private set; } = null!;
    public Event<AgentTokenRefreshRequested> TokenRefreshRequested { get; private set; } = null!;
    public Event<TokenReloaded> TokenReloaded { get; private set; } = null!;
    public Event<TokenReloadFellBack> TokenReloadFellBack { get; private set; } = null!;
    public Event<ContainerRecreated> ContainerRecreated { get; private set; } = null!;
    public Event<ContainerRecreateSkipped> ContainerRecreateSkipped { get; private set; } = null!;
    public Event<TokenRotationFailed> RotationFailed { get; private set; } = null!;
    public Event<RotationDeadlinePassed> DeadlinePassed { get; private set; } = null!;

    static IRotationPlanner Planner(ConsumeContext context) => context.GetServiceOrCreateInstance<IRotationPlanner>();

    /// <summary>After a decision: idle, or following the rotation it started by the method it chose.</summary>
    EventActivityBinder<AgentCredentialState, T> Settle<T>(EventActivityBinder<AgentCredentialState, T> binder)
        where T : class =>
        binder.IfElse(c => c.Saga.RotationMethod is null,
            idle => idle.TransitionTo(Idle),
            busy => busy.IfElse(c => c.Saga.RotationMethod == SwitchMethod.HotReload,
                reloading => reloading.TransitionTo(Reloading),
                recreating => recreating.TransitionTo(Recreating)));

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
