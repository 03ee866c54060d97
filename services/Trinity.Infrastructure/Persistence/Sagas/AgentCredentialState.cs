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

    /// <summary>
    /// A request that arrived while a rotation was in flight, applied when it ends (nothing is lost while busy).
    /// One slot: a later request supersedes an earlier one of the same or lower precedence.
    /// </summary>
    public PendingRequestKind? PendingKind { get; set; }

    /// <summary>The pending failure's FailureId, reassignment's RequestId or refresh's CausationId.</summary>
    public Guid? PendingId { get; set; }

    public Guid? PendingSubscriptionId { get; set; }
    public TokenRefreshReason? PendingRefreshReason { get; set; }
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

    /// <summary>The rotation in flight succeeded: the agent runs its target now.</summary>
    public void Applied()
    {
        AppliedSubscriptionId = TargetSubscriptionId;
        AppliedKeyVersion = TargetKeyVersion;
        OutOfSync = false;
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

    /// <summary>Keeps a request that arrived mid-rotation, unless one of higher precedence is already waiting.</summary>
    public void Defer(PendingRequestKind kind, Guid id, Guid? subscriptionId, TokenRefreshReason? reason = null)
    {
        if (PendingKind is { } pending && pending > kind)
            return;
        PendingKind = kind;
        PendingId = id;
        PendingSubscriptionId = subscriptionId;
        PendingRefreshReason = reason;
    }

    /// <summary>The request waiting for the rotation to end, taken out of the slot; null when none is.</summary>
    public PendingRequest? TakePending()
    {
        if (PendingKind is not { } kind)
            return null;
        var pending = new PendingRequest(kind, PendingId!.Value, PendingSubscriptionId, PendingRefreshReason);
        PendingKind = null;
        PendingId = null;
        PendingSubscriptionId = null;
        PendingRefreshReason = null;
        return pending;
    }
}

/// <summary>In order of precedence: a manual reassignment beats a refresh, which beats a failure.</summary>
public enum PendingRequestKind
{
    Failure = 1,
    Refresh = 2,
    Reassignment = 3,
}

/// <summary>A request that arrived mid-rotation: its kind, its id (FailureId, RequestId or CausationId) and what it was about.</summary>
public sealed record PendingRequest(PendingRequestKind Kind, Guid Id, Guid? SubscriptionId, TokenRefreshReason? RefreshReason);
