using MassTransit;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Services;

namespace Trinity.Orchestrator.Activities;

/// <summary>
/// A failure that arrives while a rotation is in flight. About the subscription being left, it is the rest of
/// the burst that started the rotation: recorded, and no second switch.
/// </summary>
public sealed class RecordFailureMidRotation(TrinityDbContext db, TimeProvider clock) : AgentCredentialActivity<SubscriptionFailureReported>
{
    protected override async Task Execute(BehaviorContext<AgentCredentialState, SubscriptionFailureReported> context)
    {
        var record = await FailureHistory.RecordAsync(db, context.Message, clock);
        // A redelivery of the report that started this rotation keeps the decision it already has.
        record.Decision ??= context.Message.SubscriptionId == context.Saga.FromSubscriptionId
            ? $"stale: rotation {context.Saga.RotationId} is already moving the agent away from it"
            : $"recorded: arrived during rotation {context.Saga.RotationId}";
    }
}
