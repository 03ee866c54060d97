using MassTransit;
using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Services;

namespace Trinity.Orchestrator.Activities;

/// <summary>
/// The rotation failed (the agent rejected it, or the fence refused it). The assignment stays — decisions
/// stick — and the agent is visibly out of sync until a later rotation succeeds.
/// </summary>
public sealed class FailRotation(
    TrinityDbContext db,
    AgentLease lease,
    AfterCommit afterCommit,
    TimeProvider clock,
    ILogger<FailRotation> logger) : AgentCredentialActivity<TokenRotationFailed>
{
    protected override async Task Execute(BehaviorContext<AgentCredentialState, TokenRotationFailed> context)
    {
        var saga = context.Saga;
        var rotationId = saga.RotationId!.Value;
        var rotation = await db.Rotations.FindAsync(rotationId);
        if (rotation is not null)
        {
            rotation.Outcome = RotationOutcome.Failed;
            rotation.OutcomeDetail = $"{context.Message.Reason}: {context.Message.Detail}";
            rotation.CompletedAt = clock.GetUtcNow();
        }

        saga.OutOfSync = true;
        saga.UpdatedAt = clock.GetUtcNow();
        logger.LogError("Rotation {RotationId} of agent {AgentName} failed ({Reason}: {Detail}); the agent is out of sync",
            rotationId, saga.AgentName, context.Message.Reason, context.Message.Detail);
        RotationStarter.ClearRotation(saga);
        afterCommit.Add(() => lease.ReleaseAsync(saga.AgentName, rotationId));
    }
}
