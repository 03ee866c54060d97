using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.History;

namespace Trinity.Orchestrator.Rotations;

/// <summary>
/// The decision for each trigger, in the transaction of the message that brings it: take the lease, read the
/// agent inside it, decide, and — when a rotation is needed — start it with <see cref="RotationLifecycle"/>.
/// Failures are decided by <see cref="FailureDecisions"/>; reassignments, refreshes and what waited for a rotation
/// here.
/// </summary>
public sealed class RotationDecisions(
    AgentLock agentLock,
    SubscriptionSelector selector,
    RotationLifecycle rotations,
    FailureDecisions failureDecisions,
    FailureHistory failures,
    RotationHistory history,
    ILogger<RotationDecisions> logger) : IRotationDecisions
{
    public Task<NextState> OnFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure, CancellationToken cancellationToken) =>
        failureDecisions.OnFailureAsync(saga, failure, cancellationToken);

    public Task DeferFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure) => failureDecisions.DeferAsync(saga, failure);

    public async Task<NextState> OnReassignmentAsync(AgentCredentialState saga, SubscriptionReassignmentRequested request, CancellationToken cancellationToken)
    {
        var cause = new RotationCause(RotationIdFor(saga, "reassignment", request.RequestId), SwitchTrigger.Manual, request.RequestId,
            $"reassignment requested by {request.RequestedBy}");
        if (await history.ExistsAsync(cause.RotationId, cancellationToken))
            return NextState.Idle;

        Subscription? target = null;
        if (request.SubscriptionId is { } wanted)
        {
            target = await selector.FindAsync(wanted, cancellationToken);
            if (target is not { DeletedAt: null })
                return Refuse(saga, cause, $"subscription {wanted} does not exist or was removed");
            if (target.DisabledAt is not null)
                return Refuse(saga, cause, $"subscription {target.Name} is disabled ({target.DisabledReason}); enable it or roll its key over first");
        }
        // Only a reassignment that is carried out starts the back-off afresh.
        saga.NewTrigger();

        var agent = await agentLock.TakeAsync(saga.AgentName, cause.RotationId, cancellationToken);
        if (agent is not { DeletedAt: null })
        {
            if (agent is null)
                Refuse(saga, cause, "unknown agent");
            return await rotations.NotLiveAsync(saga, agent, cause.RotationId, request.RequestId);
        }

        return target is not null && agent.SubscriptionId is not null
            ? await rotations.StartHotReloadAsync(saga, agent, target, cause)
            : await rotations.StartRecreateAsync(saga, agent, target, cause, "change of auth mode: the API key variable must go (or come back)");
    }

    /// <summary>
    /// Every refresh brings the agent to the database's view, whatever its reason: off a removed or disabled
    /// subscription, onto the current key, out of subscription mode when the database no longer assigns one. The
    /// reason only names the rotation (a rollover of the agent's own subscription is a Rollover).
    /// </summary>
    public async Task<NextState> OnRefreshAsync(AgentCredentialState saga, AgentTokenRefreshRequested refresh, CancellationToken cancellationToken)
    {
        if (refresh.Reason == TokenRefreshReason.Recheck)
            return await failureDecisions.RecheckAsync(saga, refresh.CausationId, cancellationToken);
        var rotationId = RotationIdFor(saga, $"refresh-{refresh.Reason}", refresh.CausationId);
        if (await history.ExistsAsync(rotationId, cancellationToken))
            return NextState.Idle;
        if (refresh.Reason is TokenRefreshReason.Rollover or TokenRefreshReason.Retry)
            saga.NewTrigger();

        var agent = await agentLock.TakeAsync(saga.AgentName, rotationId, cancellationToken);
        if (agent is not { DeletedAt: null })
            return await rotations.NotLiveAsync(saga, agent, rotationId, refresh.CausationId);
        var current = agent.SubscriptionId is { } id ? await selector.FindAsync(id, cancellationToken) : null;
        RotationCause Cause(SwitchTrigger trigger, string reason) => new(rotationId, trigger, refresh.CausationId, reason);
        if (current is { DeletedAt: not null } or { DisabledAt: not null })
        {
            var gone = current.DeletedAt is not null ? "removed" : $"disabled ({current.DisabledReason})";
            return (await rotations.MoveOffAsync(saga, agent, current, Cause(SwitchTrigger.Removal, $"subscription {current.Name} was {gone}"), cancellationToken)).Next;
        }
        if (current is not null && !AlreadyRuns(saga, current))
        {
            return refresh.Reason == TokenRefreshReason.Rollover && current.Id == refresh.SubscriptionId
                ? await rotations.StartHotReloadAsync(saga, agent, current, Cause(SwitchTrigger.Rollover, $"key version {current.KeyVersion} of {current.Name}"))
                : await rotations.StartHotReloadAsync(saga, agent, current, Cause(SwitchTrigger.Reconcile,
                    $"the agent lags the database (applied {saga.AppliedSubscriptionId} v{saga.AppliedKeyVersion}, out of sync: {saga.OutOfSync})"));
        }
        if (current is null && (saga.AppliedSubscriptionId is not null || saga.OutOfSync))
        {
            // Out of sync with no subscription (a recreate into API-key mode failed): only a recreate brings it back,
            // else the reconciler would ask again every pass for nothing.
            return await rotations.StartRecreateAsync(saga, agent, null, Cause(SwitchTrigger.Reconcile, saga.AppliedSubscriptionId is not null
                ? "the agent still runs a subscription the database no longer assigns"
                : "the agent is out of sync and the database assigns no subscription"), "leave subscription mode");
        }
        logger.LogInformation("Agent {AgentName}: {Reason} refresh of {SubscriptionId} needs no rotation", saga.AgentName, refresh.Reason, refresh.SubscriptionId);
        return await NoRotationAsync(saga, rotationId);
    }

    /// <summary>
    /// Once a rotation has ended: the reassignment that waited, then the failures that waited (each decided as it
    /// would have been: stale unless about the agent's subscription as it is now), then the refresh — each until one
    /// starts a rotation, so a request refused or found needless never strands what waited behind it.
    /// </summary>
    public async Task<NextState> ApplyPendingAsync(AgentCredentialState saga, CancellationToken cancellationToken)
    {
        if (saga.TakeReassignment() is { } reassignment)
        {
            logger.LogInformation("Agent {AgentName}: applying the reassignment {RequestId} that arrived mid-rotation", saga.AgentName, reassignment.RequestId);
            var next = await OnReassignmentAsync(saga, new SubscriptionReassignmentRequested
            {
                RequestId = reassignment.RequestId, AgentName = saga.AgentName, SubscriptionId = reassignment.SubscriptionId, RequestedBy = "deferred",
            }, cancellationToken);
            if (next != NextState.Idle)
                return next;
        }
        while (saga.PendingFailureIds is [var failureId, ..])
        {
            saga.PendingFailureIds.RemoveAt(0);
            if (await failures.FindAsync(failureId, cancellationToken) is not { } record)
                continue;
            logger.LogInformation("Agent {AgentName}: deciding the failure {FailureId} that arrived mid-rotation", saga.AgentName, failureId);
            var next = await OnFailureAsync(saga, FailureHistory.ToEvent(record), cancellationToken);
            if (next != NextState.Idle)
                return next;
        }
        if (saga.TakeRefresh() is { } refresh)
        {
            logger.LogInformation("Agent {AgentName}: applying the {Reason} refresh {CausationId} that arrived mid-rotation", saga.AgentName, refresh.Reason, refresh.CausationId);
            return await OnRefreshAsync(saga, new AgentTokenRefreshRequested
            {
                AgentName = saga.AgentName, SubscriptionId = refresh.SubscriptionId ?? Guid.Empty, KeyVersion = 0, Reason = refresh.Reason, CausationId = refresh.CausationId,
            }, cancellationToken);
        }
        return NextState.Idle;
    }

    async Task<NextState> NoRotationAsync(AgentCredentialState saga, Guid rotationId)
    {
        await agentLock.ReleaseAsync(saga.AgentName, rotationId);
        return NextState.Idle;
    }

    NextState Refuse(AgentCredentialState saga, RotationCause cause, string reason)
    {
        history.Refused(cause, saga.AgentName, reason);
        logger.LogWarning("Agent {AgentName}: {Trigger} request {RequestId} refused: {Reason}", saga.AgentName, cause.Trigger, cause.CausationId, reason);
        return NextState.Idle;
    }

    static bool AlreadyRuns(AgentCredentialState saga, Subscription subscription) =>
        !saga.OutOfSync && saga.AppliedSubscriptionId == subscription.Id && saga.AppliedKeyVersion >= subscription.KeyVersion;

    /// <summary>Derived from what triggered it, so a redelivered message finds the lease and history row it already made.</summary>
    internal static Guid RotationIdFor(AgentCredentialState saga, string trigger, Guid causationId) =>
        AgentIdentity.NameBased(saga.CorrelationId, $"{trigger}:{causationId}");
}
