using MassTransit;
using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Services;

namespace Trinity.Orchestrator.Activities;

/// <summary>
/// The worker's answer to the rotation in flight. Success only when the agent reports the fingerprint the
/// database holds: any other fingerprint is a failure that leaves the agent visibly out of sync.
/// </summary>
public sealed class CompleteHotReload(
    TrinityDbContext db,
    AgentLease lease,
    AfterCommit afterCommit,
    OutboxWriter outbox,
    TimeProvider clock,
    ILogger<CompleteHotReload> logger) : AgentCredentialActivity<TokenReloaded>
{
    protected override async Task Execute(BehaviorContext<AgentCredentialState, TokenReloaded> context)
    {
        var saga = context.Saga;
        var rotationId = saga.RotationId!.Value;
        var rotation = await db.Rotations.FindAsync(rotationId)
            ?? throw new InvalidOperationException($"Rotation {rotationId} of agent {saga.AgentName} has no history row.");
        rotation.ObservedFingerprint = context.Message.TokenFingerprint;
        rotation.CompletedAt = clock.GetUtcNow();
        rotation.Method = SwitchMethod.HotReload;

        if (context.Message.TokenFingerprint == saga.ExpectedFingerprint)
        {
            rotation.Outcome = RotationOutcome.Succeeded;
            saga.AppliedSubscriptionId = saga.TargetSubscriptionId;
            saga.AppliedKeyVersion = saga.TargetKeyVersion;
            saga.OutOfSync = false;
            outbox.Publish(new AgentSubscriptionSwitched
            {
                AgentName = saga.AgentName,
                From = saga.FromSubscriptionId,
                To = saga.TargetSubscriptionId,
                Trigger = saga.RotationTrigger ?? SwitchTrigger.AutoSwitch,
                Method = SwitchMethod.HotReload,
                RotationId = rotationId,
            }, saga.CorrelationId);
            logger.LogInformation("Agent {AgentName} runs {Fingerprint} of {To} by hot-reload; rotation {RotationId} succeeded",
                saga.AgentName, context.Message.TokenFingerprint, saga.TargetSubscriptionId, rotationId);
        }
        else
        {
            rotation.Outcome = RotationOutcome.Failed;
            rotation.OutcomeDetail = $"{RotationFailureReason.FingerprintMismatch}: expected {saga.ExpectedFingerprint}, agent reports {context.Message.TokenFingerprint}";
            saga.OutOfSync = true;
            logger.LogError("Agent {AgentName} reports {Fingerprint}, expected {Expected}: rotation {RotationId} failed, agent out of sync",
                saga.AgentName, context.Message.TokenFingerprint, saga.ExpectedFingerprint, rotationId);
        }

        saga.UpdatedAt = clock.GetUtcNow();
        RotationStarter.ClearRotation(saga);
        afterCommit.Add(() => lease.ReleaseAsync(saga.AgentName, rotationId));
    }
}
