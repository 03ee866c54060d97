using MassTransit;
using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Activities;

namespace Trinity.Orchestrator.StateMachines;

/// <summary>
/// One instance per agent: decides when and where its credentials move, and follows each rotation to its
/// outcome. Everything it sends goes through the transactional outbox, in the same transaction as the
/// transition (see the activities); it never publishes on the consume context directly.
/// </summary>
public sealed class AgentCredentialStateMachine : MassTransitStateMachine<AgentCredentialState>
{
    public AgentCredentialStateMachine(ILogger<AgentCredentialStateMachine> logger)
    {
        InstanceState(x => x.CurrentState);

        Event(() => FailureReported, e =>
        {
            e.CorrelateById(context => AgentIdentity.For(context.Message.AgentName));
            e.SetSagaFactory(context => new AgentCredentialState
            {
                CorrelationId = AgentIdentity.For(context.Message.AgentName),
                AgentName = AgentName.Normalize(context.Message.AgentName),
            });
        });
        Event(() => TokenReloaded, e =>
        {
            e.CorrelateById(context => AgentIdentity.For(context.Message.AgentName));
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => RotationFailed, e =>
        {
            e.CorrelateById(context => AgentIdentity.For(context.Message.AgentName));
            e.OnMissingInstance(m => m.Discard());
        });

        // An answer for a rotation that is no longer in flight (a redelivery, a late worker) changes nothing.
        OnUnhandledEvent(context =>
        {
            logger.LogInformation("Agent {AgentName} in state {State} ignores {Event}", context.Saga.AgentName, context.Saga.CurrentState, context.Event.Name);
            return Task.CompletedTask;
        });

        Initially(
            When(FailureReported)
                .Activity(x => x.OfType<SwitchAwayFromFailingSubscription>())
                .IfElse(context => context.Saga.RotationId is not null,
                    started => started.TransitionTo(Reloading),
                    decided => decided.TransitionTo(Idle)));

        During(Idle,
            When(FailureReported)
                .Activity(x => x.OfType<SwitchAwayFromFailingSubscription>())
                .If(context => context.Saga.RotationId is not null, started => started.TransitionTo(Reloading)));

        During(Reloading,
            When(FailureReported)
                .Activity(x => x.OfType<RecordFailureMidRotation>()),
            When(TokenReloaded, context => context.Message.RotationId == context.Saga.RotationId)
                .Activity(x => x.OfType<CompleteHotReload>())
                .TransitionTo(Idle),
            When(RotationFailed, context => context.Message.RotationId == context.Saga.RotationId)
                .Activity(x => x.OfType<FailRotation>())
                .TransitionTo(Idle));
    }

    public State Idle { get; private set; } = null!;
    public State Reloading { get; private set; } = null!;

    public Event<SubscriptionFailureReported> FailureReported { get; private set; } = null!;
    public Event<TokenReloaded> TokenReloaded { get; private set; } = null!;
    public Event<TokenRotationFailed> RotationFailed { get; private set; } = null!;
}
