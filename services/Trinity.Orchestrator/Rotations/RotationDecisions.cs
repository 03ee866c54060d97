using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;
using Trinity.Orchestrator.History;

namespace Trinity.Orchestrator.Rotations;

/// <summary>
/// The decision for each trigger, in the transaction of the message that brings it: take the lease, read the
/// agent inside it, decide, and — when a rotation is needed — start it with <see cref="RotationLifecycle"/>.
/// </summary>
public sealed class RotationDecisions(
    AgentLock agentLock,
    SubscriptionSelector selector,
    RotationLifecycle rotations,
    FailureHistory failures,
    RotationHistory history,
    OutboxWriter outbox,
    IOptions<OrchestratorOptions> options,
    ILogger<RotationDecisions> logger) : IRotationDecisions
{
    public async Task<NextState> OnFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure, CancellationToken cancellationToken)
    {
        var record = await failures.RecordAsync(failure);
        if (record.Decision is not null)
        {
            logger.LogInformation("Failure {FailureId} of agent {AgentName} was redelivered; already decided: {Decision}", failure.FailureId, saga.AgentName, record.Decision);
            return NextState.Idle;
        }
        if (!options.Value.AutoSwitchEnabled)
        {
            record.Decision = "recorded: auto-switch is disabled";
            return NextState.Idle;
        }

        var rotationId = RotationIdFor(saga, "failure", failure.FailureId);
        var agent = await agentLock.TakeAsync(saga.AgentName, rotationId, cancellationToken);
        if (agent is null)
        {
            record.Decision = "ignored: unknown agent";
            return await NoRotationAsync(saga, rotationId);
        }

        // The stale-failure guard: a report about a subscription the agent has left never moves it again (no A→B→C).
        if (agent.SubscriptionId != failure.SubscriptionId)
        {
            record.Decision = $"stale: the agent is on {agent.SubscriptionId?.ToString() ?? "no subscription"} now";
            logger.LogInformation("Failure {FailureId} of agent {AgentName} is about {SubscriptionId}, which it has left: no switch",
                failure.FailureId, saga.AgentName, failure.SubscriptionId);
            return await NoRotationAsync(saga, rotationId);
        }

        var target = await selector.ChooseAlternativeAsync(failure.SubscriptionId, cancellationToken);
        if (target is null)
        {
            record.Decision = "exhausted: no viable alternative";
            outbox.Publish(new AgentSubscriptionsExhausted { AgentName = saga.AgentName, FailedSubscriptionId = failure.SubscriptionId }, saga.CorrelationId);
            logger.LogWarning("Agent {AgentName}: subscription {SubscriptionId} failed ({Kind}) and no alternative is viable",
                saga.AgentName, failure.SubscriptionId, failure.Kind);
            return await NoRotationAsync(saga, rotationId);
        }

        var next = await rotations.StartHotReloadAsync(saga, agent, target,
            new RotationCause(rotationId, SwitchTrigger.AutoSwitch, failure.FailureId, $"{failure.Kind} on {failure.SubscriptionId} reported by {failure.Source}"));
        record.Decision = $"switched to {target.Name}";
        record.RotationId = rotationId;
        return next;
    }

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
        }

        var agent = await agentLock.TakeAsync(saga.AgentName, cause.RotationId, cancellationToken);
        if (agent is null)
        {
            Refuse(saga, cause, "unknown agent");
            return await NoRotationAsync(saga, cause.RotationId);
        }

        return target is not null && agent.SubscriptionId is not null
            ? await rotations.StartHotReloadAsync(saga, agent, target, cause)
            : await rotations.StartRecreateAsync(saga, agent, target, cause, "change of auth mode: the API key variable must go (or come back)");
    }

    public async Task<NextState> OnRefreshAsync(AgentCredentialState saga, AgentTokenRefreshRequested refresh, CancellationToken cancellationToken)
    {
        var rotationId = RotationIdFor(saga, $"refresh-{refresh.Reason}", refresh.CausationId);
        if (await history.ExistsAsync(rotationId, cancellationToken))
            return NextState.Idle;

        var agent = await agentLock.TakeAsync(saga.AgentName, rotationId, cancellationToken);
        var current = agent?.SubscriptionId is { } id ? await selector.FindAsync(id, cancellationToken) : null;
        RotationCause Cause(SwitchTrigger trigger, string reason) => new(rotationId, trigger, refresh.CausationId, reason);
        switch (refresh.Reason)
        {
            case TokenRefreshReason.Removal when agent is not null && current is not null && current.Id == refresh.SubscriptionId:
            case TokenRefreshReason.Reconcile when agent is not null && current?.DeletedAt is not null:
                return await MoveOffRemovedSubscriptionAsync(saga, agent, current, Cause(SwitchTrigger.Removal, $"subscription {current.Name} was removed"), cancellationToken);

            case TokenRefreshReason.Rollover when agent is not null && current is not null && current.Id == refresh.SubscriptionId && !AlreadyRuns(saga, current):
                return await rotations.StartHotReloadAsync(saga, agent, current, Cause(SwitchTrigger.Rollover, $"key version {current.KeyVersion} of {current.Name}"));

            case TokenRefreshReason.Reconcile when agent is not null && current is not null && !AlreadyRuns(saga, current):
                return await rotations.StartHotReloadAsync(saga, agent, current, Cause(SwitchTrigger.Reconcile,
                    $"the agent lags the database (applied {saga.AppliedSubscriptionId} v{saga.AppliedKeyVersion}, out of sync: {saga.OutOfSync})"));

            case TokenRefreshReason.Reconcile when agent is not null && current is null && saga.AppliedSubscriptionId is not null:
                return await rotations.StartRecreateAsync(saga, agent, null, Cause(SwitchTrigger.Reconcile,
                    "the agent still runs a subscription the database no longer assigns"), "leave subscription mode");

            default:
                logger.LogInformation("Agent {AgentName}: {Reason} refresh of {SubscriptionId} needs no rotation", saga.AgentName, refresh.Reason, refresh.SubscriptionId);
                return await NoRotationAsync(saga, rotationId);
        }
    }

    /// <summary>
    /// About the subscription being left, a failure mid-rotation is the rest of the burst that started the
    /// rotation: recorded as stale. About anything else, it waits for the rotation to end.
    /// </summary>
    public async Task DeferFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure)
    {
        var record = await failures.RecordAsync(failure);
        if (record.Decision is not null)
            return;
        if (failure.SubscriptionId == saga.FromSubscriptionId)
            record.Decision = $"stale: rotation {saga.RotationId} is already moving the agent away from it";
        else
            saga.Defer(PendingRequestKind.Failure, failure.FailureId, failure.SubscriptionId);
    }

    public async Task<NextState> ApplyPendingAsync(AgentCredentialState saga, CancellationToken cancellationToken)
    {
        if (saga.TakePending() is not { } pending)
            return NextState.Idle;
        logger.LogInformation("Agent {AgentName}: applying the {Kind} {Id} that arrived mid-rotation", saga.AgentName, pending.Kind, pending.Id);
        return pending.Kind switch
        {
            PendingRequestKind.Reassignment => await OnReassignmentAsync(saga, new SubscriptionReassignmentRequested
            {
                RequestId = pending.Id, AgentName = saga.AgentName, SubscriptionId = pending.SubscriptionId, RequestedBy = "deferred",
            }, cancellationToken),
            PendingRequestKind.Refresh => await OnRefreshAsync(saga, new AgentTokenRefreshRequested
            {
                AgentName = saga.AgentName,
                SubscriptionId = pending.SubscriptionId ?? Guid.Empty,
                KeyVersion = 0,
                Reason = pending.RefreshReason ?? TokenRefreshReason.Reconcile,
                CausationId = pending.Id,
            }, cancellationToken),
            PendingRequestKind.Failure when await failures.FindAsync(pending.Id, cancellationToken) is { } failure =>
                await OnFailureAsync(saga, FailureHistory.ToEvent(failure), cancellationToken),
            _ => NextState.Idle,
        };
    }

    async Task<NextState> MoveOffRemovedSubscriptionAsync(AgentCredentialState saga, Agent agent, Subscription removed, RotationCause cause, CancellationToken cancellationToken)
    {
        var target = await selector.ChooseAlternativeAsync(removed.Id, cancellationToken);
        if (target is not null)
            return await rotations.StartHotReloadAsync(saga, agent, target, cause);

        // A deleted token never stays live: with nowhere to go, the agent leaves subscription mode.
        outbox.Publish(new AgentSubscriptionsExhausted { AgentName = saga.AgentName, FailedSubscriptionId = removed.Id }, saga.CorrelationId);
        return await rotations.StartRecreateAsync(saga, agent, null, cause with { Reason = $"{cause.Reason}; no alternative: leaving subscription mode" },
            "subscription removed with no alternative: leave subscription mode");
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
    static Guid RotationIdFor(AgentCredentialState saga, string trigger, Guid causationId) =>
        AgentIdentity.NameBased(saga.CorrelationId, $"{trigger}:{causationId}");
}
