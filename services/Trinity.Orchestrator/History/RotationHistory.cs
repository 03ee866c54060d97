using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.History;

/// <summary>What triggered a rotation: its id (derived from the trigger, so a redelivery finds it), the trigger, the message that caused it and why.</summary>
public sealed record RotationCause(Guid RotationId, SwitchTrigger Trigger, Guid CausationId, string Reason);

/// <summary>
/// One row per rotation, from decision to outcome: the answer to "why did agent X move to Y at 14:02?". The
/// rotation counters of <c>/metrics</c> are kept here, where each outcome is written once.
/// </summary>
public sealed class RotationHistory(TrinityDbContext db, TimeProvider clock)
{
    /// <summary>True when the message that would start this rotation was already handled (a redelivery).</summary>
    public Task<bool> ExistsAsync(Guid rotationId, CancellationToken cancellationToken) => db.Rotations.AnyAsync(r => r.Id == rotationId, cancellationToken);

    public Rotation Started(RotationCause cause, Agent agent, Subscription? target, SwitchMethod method, DateTimeOffset now)
    {
        var rotation = new Rotation
        {
            Id = cause.RotationId,
            AgentName = agent.Name,
            Trigger = cause.Trigger,
            CausationId = cause.CausationId,
            Reason = cause.Reason,
            FromSubscriptionId = agent.SubscriptionId,
            ToSubscriptionId = target?.Id,
            KeyVersion = target?.KeyVersion,
            ExpectedFingerprint = target?.TokenFingerprint,
            FencingToken = agent.FencingToken,
            Method = method,
            StartedAt = now,
            Outcome = RotationOutcome.InProgress,
            TraceId = CurrentTraceId(),
        };
        db.Rotations.Add(rotation);
        return rotation;
    }

    /// <summary>A request refused before anything changed (an unknown agent, a removed subscription).</summary>
    public void Refused(RotationCause cause, string agentName, string reason)
    {
        TrinityMetrics.RotationEnded(cause.Trigger, null, RotationOutcome.Failed);
        var now = clock.GetUtcNow();
        db.Rotations.Add(new Rotation
        {
            Id = cause.RotationId,
            AgentName = agentName,
            Trigger = cause.Trigger,
            CausationId = cause.CausationId,
            Reason = reason,
            Outcome = RotationOutcome.Failed,
            OutcomeDetail = $"refused: {reason}",
            StartedAt = now,
            CompletedAt = now,
            TraceId = CurrentTraceId(),
        });
    }

    static string? CurrentTraceId() => Activity.Current?.TraceId.ToHexString();

    public async Task SucceededAsync(Guid rotationId, SwitchMethod method, string? observedFingerprint, string? detail, CancellationToken cancellationToken)
    {
        var rotation = await db.Rotations.FindAsync([rotationId], cancellationToken);
        if (rotation is null)
            return;
        rotation.Outcome = RotationOutcome.Succeeded;
        rotation.Method = method;
        rotation.ObservedFingerprint = observedFingerprint;
        // A hot-reload is observed by a fingerprint (the agent's or its override file's), else only acknowledged.
        rotation.Verification = method == SwitchMethod.HotReload ? observedFingerprint is null ? ReloadVerification.Acknowledged : ReloadVerification.Observed : null;
        rotation.OutcomeDetail = detail;
        rotation.CompletedAt = clock.GetUtcNow();
        TrinityMetrics.RotationEnded(rotation.Trigger, method, RotationOutcome.Succeeded, rotation.CompletedAt - rotation.StartedAt);
    }

    /// <summary>Fails a rotation in progress; an answer about one that already ended (a deadline, say) is kept beside its outcome.</summary>
    public async Task FailedAsync(Guid rotationId, RotationFailureReason reason, string? detail, CancellationToken cancellationToken)
    {
        var rotation = await db.Rotations.FindAsync([rotationId], cancellationToken);
        if (rotation is null)
            return;
        if (rotation.Outcome == RotationOutcome.InProgress)
        {
            rotation.Outcome = RotationOutcome.Failed;
            rotation.OutcomeDetail = $"{reason}: {detail}";
            rotation.CompletedAt = clock.GetUtcNow();
            TrinityMetrics.RotationEnded(rotation.Trigger, rotation.Method, RotationOutcome.Failed);
        }
        else
        {
            rotation.OutcomeDetail += $"; then {reason}: {detail}";
        }
    }

    /// <summary>Adds to the reason a rotation is being carried out as it is (a fallback to a recreate, say).</summary>
    public async Task ExplainAsync(Guid rotationId, string addition, CancellationToken cancellationToken)
    {
        var rotation = await db.Rotations.FindAsync([rotationId], cancellationToken);
        if (rotation is not null)
            rotation.Reason += $"; {addition}";
    }
}
