using MassTransit;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Infrastructure.Persistence.Sagas;

/// <summary>
/// One instance per agent (CorrelationId = <c>AgentIdentity.For(name)</c>). Persisted in PostgreSQL and
/// loaded with <c>SELECT … FOR UPDATE</c>, so replicas of the Orchestrator serialize on the row.
/// </summary>
public sealed class AgentCredentialState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }
    public string AgentName { get; set; } = "";
    public string CurrentState { get; set; } = "";

    /// <summary>The rotation in flight; its answers are matched by this id and anything else is stale.</summary>
    public Guid? RotationId { get; set; }

    public SwitchTrigger? RotationTrigger { get; set; }

    /// <summary>How the rotation in flight is being applied: hot-reload, or a (drained) recreate.</summary>
    public SwitchMethod? RotationMethod { get; set; }
    public Guid? FromSubscriptionId { get; set; }
    public Guid? TargetSubscriptionId { get; set; }
    public int? TargetKeyVersion { get; set; }
    public string? ExpectedFingerprint { get; set; }
    public long FencingToken { get; set; }
    public DateTimeOffset? DeadlineAt { get; set; }

    /// <summary>What the agent is known to run, as last confirmed by a rotation.</summary>
    public Guid? AppliedSubscriptionId { get; set; }

    public int? AppliedKeyVersion { get; set; }

    /// <summary>True when the last rotation was rejected or timed out: the database and the agent disagree.</summary>
    public bool OutOfSync { get; set; }

    /// <summary>A reassignment that arrived mid-rotation (its RequestId); a newer one replaces it. Decided first when the rotation ends.</summary>
    public Guid? PendingReassignmentId { get; set; }

    /// <summary>Where the pending reassignment goes; null leaves subscription mode.</summary>
    public Guid? PendingReassignmentSubscriptionId { get; set; }

    /// <summary>Failures that arrived mid-rotation (FailureIds), one per subscription; decided when the rotation ends.</summary>
    public List<Guid> PendingFailureIds { get; set; } = [];

    /// <summary>Rollovers, removals and reconciles that arrived mid-rotation, coalesced into one (its CausationId).</summary>
    public Guid? PendingRefreshId { get; set; }

    public TokenRefreshReason? PendingRefreshReason { get; set; }
    public Guid? PendingRefreshSubscriptionId { get; set; }

    /// <summary>Rotations that failed in a row since the last success or new trigger: the reconciler backs off.</summary>
    public int FailedAttempts { get; set; }

    /// <summary>When the reconciler may try again (null: at its next pass).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>Why the last rotation failed, while <see cref="FailedAttempts"/> is above zero.</summary>
    public string? LastFailure { get; set; }

    /// <summary>When an agent that found no viable alternative is looked at again: the earliest cooldown that blocked it ends.</summary>
    public DateTimeOffset? RecheckAt { get; set; }

    /// <summary>The failure that found no alternative, decided again at <see cref="RecheckAt"/>.</summary>
    public Guid? RecheckFailureId { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Follows <paramref name="rotation"/> (already decided and recorded) until its answer or its deadline.</summary>
    public void Begin(Rotation rotation, DateTimeOffset deadline)
    {
        RotationId = rotation.Id;
        RotationTrigger = rotation.Trigger;
        RotationMethod = rotation.Method;
        FromSubscriptionId = rotation.FromSubscriptionId;
        TargetSubscriptionId = rotation.ToSubscriptionId;
        TargetKeyVersion = rotation.KeyVersion;
        ExpectedFingerprint = rotation.ExpectedFingerprint;
        FencingToken = rotation.FencingToken;
        DeadlineAt = deadline;
        UpdatedAt = rotation.StartedAt;
    }

    /// <summary>The rotation in flight succeeded: the agent runs its target now, and nothing is owed a retry.</summary>
    public void Applied()
    {
        AppliedSubscriptionId = TargetSubscriptionId;
        AppliedKeyVersion = TargetKeyVersion;
        OutOfSync = false;
        NewTrigger();
    }

    /// <summary>
    /// The rotation in flight failed: the agent is out of sync, and the reconciler tries again after a back-off that
    /// doubles with every failure in a row (<paramref name="first"/>, then twice that, … up to <paramref name="longest"/>).
    /// </summary>
    public void Failed(string why, DateTimeOffset now, TimeSpan first, TimeSpan longest)
    {
        OutOfSync = true;
        FailedAttempts++;
        var wait = first * Math.Pow(2, Math.Min(FailedAttempts - 1, 30));
        NextAttemptAt = now + (wait > longest ? longest : wait);
        LastFailure = why.Length > 500 ? why[..500] : why;
    }

    /// <summary>A new trigger (a failure, a reassignment, a rollover, an operator's retry) starts the back-off afresh.</summary>
    public void NewTrigger()
    {
        FailedAttempts = 0;
        NextAttemptAt = null;
        LastFailure = null;
    }

    /// <summary>No rotation in flight any more; a pending request may start the next.</summary>
    public void End(DateTimeOffset now)
    {
        RotationId = null;
        RotationTrigger = null;
        RotationMethod = null;
        FromSubscriptionId = null;
        TargetSubscriptionId = null;
        TargetKeyVersion = null;
        ExpectedFingerprint = null;
        DeadlineAt = null;
        UpdatedAt = now;
    }

    public bool HasPending => PendingReassignmentId is not null || PendingFailureIds.Count > 0 || PendingRefreshId is not null;

    /// <summary>A newer reassignment replaces an older one: the operator's last word counts.</summary>
    public void DeferReassignment(Guid requestId, Guid? subscriptionId)
    {
        PendingReassignmentId = requestId;
        PendingReassignmentSubscriptionId = subscriptionId;
    }

    /// <summary>Kept unless one is already waiting (it is about the same agent: the earliest stands for the rest).</summary>
    public void DeferFailure(Guid failureId)
    {
        if (!PendingFailureIds.Contains(failureId))
            PendingFailureIds.Add(failureId);
    }

    /// <summary>
    /// Refreshes coalesce: whichever is applied brings the agent to the database's view, so one is enough; the one kept
    /// is the one that says most (a removal or disabling over a rollover over a recheck over a reconcile).
    /// </summary>
    public void DeferRefresh(Guid causationId, TokenRefreshReason reason, Guid? subscriptionId)
    {
        if (PendingRefreshReason is { } pending && Weight(pending) > Weight(reason))
            return;
        PendingRefreshId = causationId;
        PendingRefreshReason = reason;
        PendingRefreshSubscriptionId = subscriptionId;
    }

    public (Guid RequestId, Guid? SubscriptionId)? TakeReassignment()
    {
        if (PendingReassignmentId is not { } id)
            return null;
        var taken = (id, PendingReassignmentSubscriptionId);
        PendingReassignmentId = null;
        PendingReassignmentSubscriptionId = null;
        return taken;
    }

    public (Guid CausationId, TokenRefreshReason Reason, Guid? SubscriptionId)? TakeRefresh()
    {
        if (PendingRefreshId is not { } id)
            return null;
        var taken = (id, PendingRefreshReason ?? TokenRefreshReason.Reconcile, PendingRefreshSubscriptionId);
        PendingRefreshId = null;
        PendingRefreshReason = null;
        PendingRefreshSubscriptionId = null;
        return taken;
    }

    static int Weight(TokenRefreshReason reason) => reason switch
    {
        TokenRefreshReason.AgentDeleted => 4,
        TokenRefreshReason.Removal or TokenRefreshReason.Disabled => 3,
        TokenRefreshReason.Rollover => 2,
        _ => 1,
    };
}
