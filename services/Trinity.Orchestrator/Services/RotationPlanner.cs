using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Services;

/// <summary>
/// Every decision of the agent's state machine, in the transaction of the message that triggers it: take the
/// lease, read the agent inside it, decide, and — when a rotation starts — write the assignment with a new
/// fencing token, the history row and the command in the outbox. A decision sticks: it is never reverted.
/// </summary>
public sealed class RotationPlanner(
    TrinityDbContext db,
    AgentLease lease,
    SubscriptionSelector selector,
    OutboxWriter outbox,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<RotationPlanner> logger) : IRotationPlanner
{
    OrchestratorOptions Options => options.Value;

    public async Task HandleFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure, CancellationToken cancellationToken)
    {
        var record = await FailureHistory.RecordAsync(db, failure, clock);
        if (record.Decision is not null)
        {
            logger.LogInformation("Failure {FailureId} of agent {AgentName} was redelivered; already decided: {Decision}", failure.FailureId, saga.AgentName, record.Decision);
            return;
        }
        if (!Options.AutoSwitchEnabled)
        {
            record.Decision = "recorded: auto-switch is disabled";
            return;
        }

        var rotationId = RotationIdFor(saga, "failure", failure.FailureId);
        var agent = await LockAgentAsync(saga, rotationId, cancellationToken);
        if (agent is null)
        {
            record.Decision = "ignored: unknown agent";
            await lease.ReleaseAsync(saga.AgentName, rotationId);
            return;
        }

        // The stale-failure guard: a report about a subscription the agent has left never moves it again (no A→B→C).
        if (agent.SubscriptionId != failure.SubscriptionId)
        {
            record.Decision = $"stale: the agent is on {agent.SubscriptionId?.ToString() ?? "no subscription"} now";
            logger.LogInformation("Failure {FailureId} of agent {AgentName} is about {SubscriptionId}, which it has left: no switch",
                failure.FailureId, saga.AgentName, failure.SubscriptionId);
            await lease.ReleaseAsync(saga.AgentName, rotationId);
            return;
        }

        var target = await selector.ChooseAlternativeAsync(failure.SubscriptionId, cancellationToken);
        if (target is null)
        {
            record.Decision = "exhausted: no viable alternative";
            outbox.Publish(new AgentSubscriptionsExhausted { AgentName = saga.AgentName, FailedSubscriptionId = failure.SubscriptionId }, saga.CorrelationId);
            logger.LogWarning("Agent {AgentName}: subscription {SubscriptionId} failed ({Kind}) and no alternative is viable",
                saga.AgentName, failure.SubscriptionId, failure.Kind);
            await lease.ReleaseAsync(saga.AgentName, rotationId);
            return;
        }

        await StartHotReloadAsync(saga, agent, target, NewRotation(rotationId, saga, SwitchTrigger.AutoSwitch, agent, failure.FailureId,
            $"{failure.Kind} on {failure.SubscriptionId} reported by {failure.Source}"));
        record.Decision = $"switched to {target.Name}";
        record.RotationId = rotationId;
    }

    public async Task HandleReassignmentAsync(AgentCredentialState saga, SubscriptionReassignmentRequested request, CancellationToken cancellationToken)
    {
        var rotationId = RotationIdFor(saga, "reassignment", request.RequestId);
        if (await db.Rotations.AnyAsync(r => r.Id == rotationId, cancellationToken))
            return;

        Subscription? target = null;
        if (request.SubscriptionId is { } wanted)
        {
            target = await db.Subscriptions.SingleOrDefaultAsync(s => s.Id == wanted && s.DeletedAt == null, cancellationToken);
            if (target is null)
            {
                RecordRefused(rotationId, saga, SwitchTrigger.Manual, request.RequestId, $"subscription {wanted} does not exist or was removed");
                return;
            }
        }

        var agent = await LockAgentAsync(saga, rotationId, cancellationToken);
        if (agent is null)
        {
            RecordRefused(rotationId, saga, SwitchTrigger.Manual, request.RequestId, "unknown agent");
            await lease.ReleaseAsync(saga.AgentName, rotationId);
            return;
        }

        var rotation = NewRotation(rotationId, saga, SwitchTrigger.Manual, agent, request.RequestId, $"reassignment requested by {request.RequestedBy}");
        if (target is not null && agent.SubscriptionId is not null)
            await StartHotReloadAsync(saga, agent, target, rotation);
        else
            await StartRecreateAsync(saga, agent, target, rotation, "change of auth mode: the API key variable must go (or come back)");
    }

    public async Task HandleRefreshAsync(AgentCredentialState saga, AgentTokenRefreshRequested refresh, CancellationToken cancellationToken)
    {
        var rotationId = RotationIdFor(saga, $"refresh-{refresh.Reason}", refresh.CausationId);
        if (await db.Rotations.AnyAsync(r => r.Id == rotationId, cancellationToken))
            return;

        var agent = await LockAgentAsync(saga, rotationId, cancellationToken);
        var current = agent?.SubscriptionId is { } id
            ? await db.Subscriptions.SingleOrDefaultAsync(s => s.Id == id, cancellationToken)
            : null;
        switch (refresh.Reason)
        {
            case TokenRefreshReason.Removal when agent is not null && current is not null && current.Id == refresh.SubscriptionId:
            case TokenRefreshReason.Reconcile when agent is not null && current?.DeletedAt is not null:
                await MoveOffRemovedSubscriptionAsync(saga, agent, current, NewRotation(rotationId, saga, SwitchTrigger.Removal, agent, refresh.CausationId,
                    $"subscription {current.Name} was removed"), cancellationToken);
                return;

            case TokenRefreshReason.Rollover when agent is not null && current is not null && current.Id == refresh.SubscriptionId && !AlreadyRuns(saga, current):
                await StartHotReloadAsync(saga, agent, current, NewRotation(rotationId, saga, SwitchTrigger.Rollover, agent, refresh.CausationId,
                    $"key version {current.KeyVersion} of {current.Name}"));
                return;

            case TokenRefreshReason.Reconcile when agent is not null && current is not null && !AlreadyRuns(saga, current):
                await StartHotReloadAsync(saga, agent, current, NewRotation(rotationId, saga, SwitchTrigger.Reconcile, agent, refresh.CausationId,
                    $"the agent lags the database (applied {saga.AppliedSubscriptionId} v{saga.AppliedKeyVersion}, out of sync: {saga.OutOfSync})"));
                return;

            case TokenRefreshReason.Reconcile when agent is not null && current is null && saga.AppliedSubscriptionId is not null:
                await StartRecreateAsync(saga, agent, null, NewRotation(rotationId, saga, SwitchTrigger.Reconcile, agent, refresh.CausationId,
                    "the agent still runs a subscription the database no longer assigns"), "leave subscription mode");
                return;

            default:
                logger.LogInformation("Agent {AgentName}: {Reason} refresh of {SubscriptionId} needs no rotation", saga.AgentName, refresh.Reason, refresh.SubscriptionId);
                await lease.ReleaseAsync(saga.AgentName, rotationId);
                return;
        }
    }

    /// <summary>
    /// A failure that arrives mid-rotation. About the subscription being left, it is the rest of the burst that
    /// started the rotation: recorded as stale. About anything else, it waits for the rotation to end.
    /// </summary>
    public async Task DeferFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure)
    {
        var record = await FailureHistory.RecordAsync(db, failure, clock);
        if (record.Decision is not null)
            return;
        if (failure.SubscriptionId == saga.FromSubscriptionId)
            record.Decision = $"stale: rotation {saga.RotationId} is already moving the agent away from it";
        else
            Defer(saga, PendingRequestKind.Failure, failure.FailureId, failure.SubscriptionId);
    }

    /// <summary>A request that arrived mid-rotation waits in the saga and is applied when the rotation ends.</summary>
    public static void Defer(AgentCredentialState saga, PendingRequestKind kind, Guid id, Guid? subscriptionId, TokenRefreshReason? reason = null)
    {
        if (saga.PendingKind is { } pending && pending > kind)
            return;
        saga.PendingKind = kind;
        saga.PendingId = id;
        saga.PendingSubscriptionId = subscriptionId;
        saga.PendingRefreshReason = reason;
    }

    public async Task CompleteAsync(AgentCredentialState saga, SwitchMethod method, string? observedFingerprint, CancellationToken cancellationToken,
        string? detail = null)
    {
        var rotationId = saga.RotationId!.Value;
        var rotation = await db.Rotations.FindAsync([rotationId], cancellationToken);
        if (rotation is not null)
        {
            rotation.Outcome = RotationOutcome.Succeeded;
            rotation.Method = method;
            rotation.ObservedFingerprint = observedFingerprint;
            rotation.OutcomeDetail = detail;
            rotation.CompletedAt = clock.GetUtcNow();
            TrinityMetrics.RotationEnded(rotation.Trigger, method, RotationOutcome.Succeeded, rotation.CompletedAt - rotation.StartedAt);
        }
        saga.AppliedSubscriptionId = saga.TargetSubscriptionId;
        saga.AppliedKeyVersion = saga.TargetKeyVersion;
        saga.OutOfSync = false;
        outbox.Publish(new AgentSubscriptionSwitched
        {
            AgentName = saga.AgentName,
            From = saga.FromSubscriptionId,
            To = saga.TargetSubscriptionId,
            Trigger = saga.RotationTrigger ?? SwitchTrigger.AutoSwitch,
            Method = method,
            RotationId = rotationId,
        }, saga.CorrelationId);
        logger.LogInformation("Agent {AgentName} moved from {From} to {To} by {Method}; rotation {RotationId} succeeded",
            saga.AgentName, saga.FromSubscriptionId, saga.TargetSubscriptionId, method, rotationId);
        await EndRotationAsync(saga, cancellationToken);
    }

    public async Task FailAsync(AgentCredentialState saga, RotationFailureReason reason, string? detail, CancellationToken cancellationToken)
    {
        var rotationId = saga.RotationId!.Value;
        await RecordFailureAsync(rotationId, reason, detail, cancellationToken);
        saga.OutOfSync = true;
        logger.LogError("Rotation {RotationId} of agent {AgentName} failed ({Reason}: {Detail}); the agent is out of sync until a later rotation succeeds",
            rotationId, saga.AgentName, reason, detail);
        await EndRotationAsync(saga, cancellationToken);
    }

    /// <summary>An answer about a rotation that is no longer in flight: kept in that rotation's history, nothing else.</summary>
    public async Task RecordFailureAsync(Guid rotationId, RotationFailureReason reason, string? detail, CancellationToken cancellationToken)
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
            // Already ended (a deadline, say): what arrived later is kept beside it.
            rotation.OutcomeDetail += $"; then {reason}: {detail}";
        }
    }

    /// <summary>The worker fell back to a recreate: wait for it under the recreate's deadline, and extend the lease to match.</summary>
    public async Task FollowFallbackAsync(AgentCredentialState saga, TokenReloadFellBack fellBack)
    {
        var budget = fellBack.DrainTimeout + Options.RecreateBudget;
        saga.RotationMethod = SwitchMethod.Recreate;
        saga.DeadlineAt = clock.GetUtcNow() + budget;
        await lease.ExtendAsync(saga.AgentName, saga.RotationId!.Value, budget);
        var rotation = await db.Rotations.FindAsync(saga.RotationId!.Value);
        if (rotation is not null)
            rotation.Reason += $"; hot-reload fell back to a drained recreate ({fellBack.Reason})";
        logger.LogWarning("Rotation {RotationId} of agent {AgentName} fell back to a recreate ({Reason}); deadline {Deadline}",
            saga.RotationId, saga.AgentName, fellBack.Reason, saga.DeadlineAt);
    }

    async Task EndRotationAsync(AgentCredentialState saga, CancellationToken cancellationToken)
    {
        await lease.ReleaseAsync(saga.AgentName, saga.RotationId!.Value);
        saga.RotationId = null;
        saga.RotationTrigger = null;
        saga.RotationMethod = null;
        saga.FromSubscriptionId = null;
        saga.TargetSubscriptionId = null;
        saga.TargetKeyVersion = null;
        saga.ExpectedFingerprint = null;
        saga.DeadlineAt = null;
        saga.UpdatedAt = clock.GetUtcNow();
        await ApplyPendingAsync(saga, cancellationToken);
    }

    async Task ApplyPendingAsync(AgentCredentialState saga, CancellationToken cancellationToken)
    {
        if (saga.PendingKind is not { } kind)
            return;
        var (id, subscriptionId, reason) = (saga.PendingId!.Value, saga.PendingSubscriptionId, saga.PendingRefreshReason);
        saga.PendingKind = null;
        saga.PendingId = null;
        saga.PendingSubscriptionId = null;
        saga.PendingRefreshReason = null;
        logger.LogInformation("Agent {AgentName}: applying the {Kind} {Id} that arrived mid-rotation", saga.AgentName, kind, id);

        switch (kind)
        {
            case PendingRequestKind.Reassignment:
                await HandleReassignmentAsync(saga, new SubscriptionReassignmentRequested { RequestId = id, AgentName = saga.AgentName, SubscriptionId = subscriptionId, RequestedBy = "deferred" }, cancellationToken);
                break;
            case PendingRequestKind.Refresh:
                await HandleRefreshAsync(saga, new AgentTokenRefreshRequested
                {
                    AgentName = saga.AgentName,
                    SubscriptionId = subscriptionId ?? Guid.Empty,
                    KeyVersion = 0,
                    Reason = reason ?? TokenRefreshReason.Reconcile,
                    CausationId = id,
                }, cancellationToken);
                break;
            case PendingRequestKind.Failure when await db.Failures.FindAsync([id], cancellationToken) is { } failure:
                await HandleFailureAsync(saga, FailureHistory.ToEvent(failure), cancellationToken);
                break;
        }
    }

    async Task MoveOffRemovedSubscriptionAsync(AgentCredentialState saga, Agent agent, Subscription removed, Rotation rotation, CancellationToken cancellationToken)
    {
        var target = await selector.ChooseAlternativeAsync(removed.Id, cancellationToken);
        if (target is not null)
        {
            await StartHotReloadAsync(saga, agent, target, rotation);
            return;
        }
        // A deleted token never stays live: with nowhere to go, the agent leaves subscription mode.
        outbox.Publish(new AgentSubscriptionsExhausted { AgentName = saga.AgentName, FailedSubscriptionId = removed.Id }, saga.CorrelationId);
        rotation.Reason += "; no alternative: leaving subscription mode";
        await StartRecreateAsync(saga, agent, null, rotation, "subscription removed with no alternative: leave subscription mode");
    }

    /// <summary>Takes the agent's lease for this rotation (waiting, by retry, while another actor holds it), then reads the agent inside it.</summary>
    async Task<Agent?> LockAgentAsync(AgentCredentialState saga, Guid rotationId, CancellationToken cancellationToken)
    {
        if (!await lease.TryAcquireAsync(saga.AgentName, rotationId, Options.ReloadDeadline))
        {
            TrinityMetrics.LeaseWaited();
            throw new AgentLeaseUnavailableException(saga.AgentName, await lease.OwnerAsync(saga.AgentName));
        }
        // Read inside the lease: a snapshot taken before it can be stale.
        return await db.LoadForUpdateAsync(saga.AgentName, cancellationToken);
    }

    async Task StartHotReloadAsync(AgentCredentialState saga, Agent agent, Subscription target, Rotation rotation)
    {
        await AssignAsync(saga, agent, target, rotation, SwitchMethod.HotReload, Options.ReloadDeadline);
        outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.RotationWorker), new ReloadToken
        {
            RotationId = rotation.Id,
            AgentName = agent.Name,
            SubscriptionId = target.Id,
            KeyVersion = target.KeyVersion,
            FencingToken = agent.FencingToken,
        }, saga.CorrelationId);
    }

    /// <summary>A change of auth mode needs a new container (the API key variable must go, or come back): drained, never killed.</summary>
    async Task StartRecreateAsync(AgentCredentialState saga, Agent agent, Subscription? target, Rotation rotation, string reason)
    {
        var budget = Options.DrainTimeout + Options.RecreateBudget;
        await AssignAsync(saga, agent, target, rotation, SwitchMethod.Recreate, budget);
        outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.ContainerManager), new RecreateContainer
        {
            RotationId = rotation.Id,
            AgentName = agent.Name,
            Reason = reason,
            DrainTimeout = Options.DrainTimeout,
            FencingToken = agent.FencingToken,
        }, saga.CorrelationId);
    }

    async Task AssignAsync(AgentCredentialState saga, Agent agent, Subscription? target, Rotation rotation, SwitchMethod method, TimeSpan deadline)
    {
        var now = clock.GetUtcNow();
        agent.FencingToken += 1;
        agent.SubscriptionId = target?.Id;
        agent.UpdatedAt = now;

        rotation.FencingToken = agent.FencingToken;
        rotation.ToSubscriptionId = target?.Id;
        rotation.KeyVersion = target?.KeyVersion;
        rotation.ExpectedFingerprint = target?.TokenFingerprint;
        rotation.Method = method;
        rotation.StartedAt = now;
        rotation.Outcome = RotationOutcome.InProgress;
        db.Rotations.Add(rotation);

        saga.RotationId = rotation.Id;
        saga.RotationTrigger = rotation.Trigger;
        saga.RotationMethod = method;
        saga.FromSubscriptionId = rotation.FromSubscriptionId;
        saga.TargetSubscriptionId = target?.Id;
        saga.TargetKeyVersion = target?.KeyVersion;
        saga.ExpectedFingerprint = target?.TokenFingerprint;
        saga.FencingToken = agent.FencingToken;
        saga.DeadlineAt = now + deadline;
        saga.UpdatedAt = now;
        // The lease lives as long as the deadline: held past it means someone renewed it. It was taken for a
        // hot-reload's deadline; only a longer one (a recreate) needs another round trip to Redis.
        if (deadline != Options.ReloadDeadline)
            await lease.ExtendAsync(agent.Name, rotation.Id, deadline);

        logger.LogInformation("Agent {AgentName}: rotation {RotationId} ({Trigger}) from {From} to {To} by {Method}, fence {FencingToken}: {Reason}",
            agent.Name, rotation.Id, rotation.Trigger, rotation.FromSubscriptionId, target?.Id, method, agent.FencingToken, rotation.Reason);
    }

    void RecordRefused(Guid rotationId, AgentCredentialState saga, SwitchTrigger trigger, Guid causationId, string reason)
    {
        TrinityMetrics.RotationEnded(trigger, null, RotationOutcome.Failed);
        var now = clock.GetUtcNow();
        db.Rotations.Add(new Rotation
        {
            Id = rotationId,
            AgentName = saga.AgentName,
            Trigger = trigger,
            CausationId = causationId,
            Reason = reason,
            Outcome = RotationOutcome.Failed,
            OutcomeDetail = $"refused: {reason}",
            StartedAt = now,
            CompletedAt = now,
        });
        logger.LogWarning("Agent {AgentName}: {Trigger} request {RequestId} refused: {Reason}", saga.AgentName, trigger, causationId, reason);
    }

    static Rotation NewRotation(Guid rotationId, AgentCredentialState saga, SwitchTrigger trigger, Agent agent, Guid causationId, string reason) => new()
    {
        Id = rotationId,
        AgentName = saga.AgentName,
        Trigger = trigger,
        FromSubscriptionId = agent.SubscriptionId,
        CausationId = causationId,
        Reason = reason,
    };

    static bool AlreadyRuns(AgentCredentialState saga, Subscription subscription) =>
        !saga.OutOfSync && saga.AppliedSubscriptionId == subscription.Id && saga.AppliedKeyVersion >= subscription.KeyVersion;

    /// <summary>Derived from what triggered it, so a redelivered message finds the lease and history row it already made.</summary>
    static Guid RotationIdFor(AgentCredentialState saga, string trigger, Guid causationId) =>
        AgentIdentity.NameBased(saga.CorrelationId, $"{trigger}:{causationId}");
}
