using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Services;

/// <summary>
/// Starts a rotation in the caller's transaction: a new fencing token, the assignment written with it (a
/// decision sticks: it is never reverted), the history row, and the <see cref="ReloadToken"/> in the outbox.
/// </summary>
public sealed class RotationStarter(TrinityDbContext db, OutboxWriter outbox, TimeProvider clock, IOptions<OrchestratorOptions> options)
{
    public void StartHotReload(AgentCredentialState saga, Agent agent, Subscription target, Rotation rotation)
    {
        var now = clock.GetUtcNow();
        agent.FencingToken += 1;
        agent.SubscriptionId = target.Id;
        agent.UpdatedAt = now;

        rotation.FencingToken = agent.FencingToken;
        rotation.ToSubscriptionId = target.Id;
        rotation.KeyVersion = target.KeyVersion;
        rotation.ExpectedFingerprint = target.TokenFingerprint;
        rotation.StartedAt = now;
        rotation.Outcome = RotationOutcome.InProgress;
        db.Rotations.Add(rotation);

        saga.RotationId = rotation.Id;
        saga.RotationTrigger = rotation.Trigger;
        saga.FromSubscriptionId = rotation.FromSubscriptionId;
        saga.TargetSubscriptionId = target.Id;
        saga.TargetKeyVersion = target.KeyVersion;
        saga.ExpectedFingerprint = target.TokenFingerprint;
        saga.FencingToken = agent.FencingToken;
        saga.DeadlineAt = now + options.Value.ReloadDeadline;
        saga.UpdatedAt = now;

        outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.RotationWorker), new ReloadToken
        {
            RotationId = rotation.Id,
            AgentName = agent.Name,
            SubscriptionId = target.Id,
            KeyVersion = target.KeyVersion,
            FencingToken = agent.FencingToken,
        }, saga.CorrelationId);
    }

    public static void ClearRotation(AgentCredentialState saga)
    {
        saga.RotationId = null;
        saga.RotationTrigger = null;
        saga.FromSubscriptionId = null;
        saga.TargetSubscriptionId = null;
        saga.TargetKeyVersion = null;
        saga.ExpectedFingerprint = null;
        saga.DeadlineAt = null;
    }
}
