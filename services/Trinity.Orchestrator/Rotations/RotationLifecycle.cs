using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;
using Trinity.Orchestrator.History;

namespace Trinity.Orchestrator.Rotations;

/// <summary>
/// A rotation from start to end, in the transaction of the message that moves it: the assignment written with a
/// new fencing token before the command is staged (decisions stick: never reverted), the history row, the
/// deadline in the state and the lease lasting as long; at the end, the outcome, the switch event and the lease
/// released.
/// </summary>
public sealed class RotationLifecycle(
    TrinityDbContext db,
    AgentLock agentLock,
    SubscriptionSelector selector,
    OutboxWriter outbox,
    RotationHistory history,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<RotationLifecycle> logger) : IRotationLifecycle
{
    OrchestratorOptions Options => options.Value;

    public async Task<NextState> StartHotReloadAsync(AgentCredentialState saga, Agent agent, Subscription target, RotationCause cause)
    {
        var rotation = await AssignAsync(saga, agent, target, cause, SwitchMethod.HotReload, Options.ReloadDeadline);
        outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.RotationWorker), new ReloadToken
        {
            RotationId = rotation.Id,
            AgentName = agent.Name,
            SubscriptionId = target.Id,
            KeyVersion = target.KeyVersion,
            FencingToken = agent.FencingToken,
        }, saga.CorrelationId);
        return NextState.Reloading;
    }

    /// <summary>
    /// Off a subscription that was removed or disabled: to the alternative, or — with none — out of subscription mode
    /// (a drained recreate without the token: a deleted or revoked token never stays live), exhaustion published.
    /// </summary>
    public async Task<(NextState Next, Subscription? Target)> MoveOffAsync(AgentCredentialState saga, Agent agent, Subscription leaving, RotationCause cause,
        CancellationToken cancellationToken)
    {
        var target = (await selector.ChooseAlternativeAsync(leaving.Id, cancellationToken)).Target;
        if (target is not null)
            return (await StartHotReloadAsync(saga, agent, target, cause), target);
        outbox.Publish(new AgentSubscriptionsExhausted { AgentName = saga.AgentName, FailedSubscriptionId = leaving.Id }, saga.CorrelationId);
        return (await StartRecreateAsync(saga, agent, null, cause with { Reason = $"{cause.Reason}; no alternative: leaving subscription mode" },
            $"subscription {leaving.Name} is gone with no alternative: leave subscription mode"), null);
    }

    /// <summary>A change of auth mode needs a new container (the API key variable must go, or come back): drained, never killed.</summary>
    public async Task<NextState> StartRecreateAsync(AgentCredentialState saga, Agent agent, Subscription? target, RotationCause cause, string reason)
    {
        var rotation = await AssignAsync(saga, agent, target, cause, SwitchMethod.Recreate, Options.DrainTimeout + Options.RecreateBudget);
        outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.ContainerManagerOf(agent.DockerHost)), new RecreateContainer
        {
            RotationId = rotation.Id,
            AgentName = agent.Name,
            Reason = reason,
            DrainTimeout = Options.DrainTimeout,
            FencingToken = agent.FencingToken,
        }, saga.CorrelationId);
        return NextState.Recreating;
    }

    /// <summary>
    /// For an agent that is not live, whatever the trigger — every trigger brings an agent to the database's view: a
    /// deleted agent has its container drained and removed; one that is not registered at all (never, or its removal
    /// is done) leaves nothing to remember, and its instance ends.
    /// </summary>
    public async Task<NextState> NotLiveAsync(AgentCredentialState saga, Agent? agent, Guid rotationId, Guid causationId)
    {
        if (agent is not { DeletedAt: { } deletedAt })
        {
            await agentLock.ReleaseAsync(saga.AgentName, rotationId);
            return NextState.Gone;
        }
        var rotation = await AssignAsync(saga, agent, null, new RotationCause(rotationId, SwitchTrigger.Deletion, causationId, $"the agent was deleted at {deletedAt:O}"),
            SwitchMethod.Removed, Options.DrainTimeout + Options.RecreateBudget);
        outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.ContainerRemovalsOf(agent.DockerHost)), new RemoveAgentContainer
        {
            RotationId = rotation.Id,
            AgentName = agent.Name,
            DrainTimeout = Options.DrainTimeout,
            FencingToken = agent.FencingToken,
        }, saga.CorrelationId);
        return NextState.Removing;
    }

    /// <summary>The deleted agent's container is gone: the rotation succeeded, the name is free again, and the machine ends the instance.</summary>
    public async Task CompleteRemovalAsync(AgentCredentialState saga, AgentContainerRemoved removed, CancellationToken cancellationToken)
    {
        var rotationId = saga.RotationId!.Value;
        var detail = removed.ContainerId is { } container
            ? $"container {container[..Math.Min(12, container.Length)]} removed; " + (removed.Drained ? $"{removed.TurnsOutlivingDrain} turns outlived the drain" : "it was not drained")
            : "the agent had no container of this system's: whatever runs at its base URL is its owner's to stop";
        await history.SucceededAsync(rotationId, SwitchMethod.Removed, null, detail, cancellationToken);
        var now = clock.GetUtcNow();
        await db.Agents.Where(a => a.Name == saga.AgentName).ExecuteUpdateAsync(a => a.SetProperty(x => x.RemovedAt, now).SetProperty(x => x.UpdatedAt, now), cancellationToken);
        logger.LogInformation("Agent {AgentName} removed ({Detail}); rotation {RotationId} ends its state machine", saga.AgentName, detail, rotationId);
        await EndAsync(saga);
    }

    public async Task CompleteAsync(AgentCredentialState saga, SwitchMethod method, string? observedFingerprint, string? detail, CancellationToken cancellationToken)
    {
        var rotationId = saga.RotationId!.Value;
        await history.SucceededAsync(rotationId, method, observedFingerprint, detail, cancellationToken);
        saga.Applied();
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
        await EndAsync(saga);
    }

    public async Task<bool> ConfirmReloadAsync(AgentCredentialState saga, string? reportedFingerprint, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(reportedFingerprint))
        {
            await ConfirmAsync(saga, reportedFingerprint, "the agent reports", null, cancellationToken);
            return true;
        }
        // A missing fingerprint is never a mismatch: the reference agent answers without one.
        var host = await db.Agents.Where(a => a.Name == saga.AgentName && a.ContainerId != null).Select(a => a.DockerHost).SingleOrDefaultAsync(cancellationToken);
        if (host is null)
        {
            await CompleteAsync(saga, SwitchMethod.HotReload, null,
                "acknowledged: the agent answered without a fingerprint and has no container whose override file could be read", cancellationToken);
            return true;
        }
        outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.ContainerReadsOf(host)),
            new ReadOverrideFile { RotationId = saga.RotationId!.Value, AgentName = saga.AgentName }, saga.CorrelationId);
        logger.LogInformation("Agent {AgentName} reloaded without saying what it runs; rotation {RotationId} reads its override file", saga.AgentName, saga.RotationId);
        return false;
    }

    public Task ConfirmByOverrideFileAsync(AgentCredentialState saga, OverrideFileRead read, CancellationToken cancellationToken) =>
        read.TokenFingerprint is { Length: > 0 } fingerprint
            ? ConfirmAsync(saga, fingerprint, "its override file holds", "observed in the agent's override file", cancellationToken)
            : CompleteAsync(saga, SwitchMethod.HotReload, null, $"acknowledged: the agent answered without a fingerprint, and {read.Detail}", cancellationToken);

    /// <summary>
    /// The expected fingerprint, or the target subscription's current key: the worker sends the key it reads when it
    /// reloads, so a rollover between the decision and the reload lands the newer key — the right one, not a mismatch.
    /// </summary>
    async Task ConfirmAsync(AgentCredentialState saga, string fingerprint, string seen, string? detail, CancellationToken cancellationToken)
    {
        if (fingerprint == saga.ExpectedFingerprint)
            await CompleteAsync(saga, SwitchMethod.HotReload, fingerprint, detail, cancellationToken);
        else if (await db.Subscriptions.AnyAsync(s => s.Id == saga.TargetSubscriptionId && s.TokenFingerprint == fingerprint, cancellationToken))
            await CompleteAsync(saga, SwitchMethod.HotReload, fingerprint,
                $"{seen} the subscription's current key, not the {saga.ExpectedFingerprint} decided on: it was rolled over before the reload", cancellationToken);
        else
            await FailAsync(saga, RotationFailureReason.FingerprintMismatch, $"expected {saga.ExpectedFingerprint}, {seen} {fingerprint}", cancellationToken);
    }

    public async Task FailAsync(AgentCredentialState saga, RotationFailureReason reason, string? detail, CancellationToken cancellationToken)
    {
        var rotationId = saga.RotationId!.Value;
        await history.FailedAsync(rotationId, reason, detail, cancellationToken);
        saga.Failed($"{reason}: {detail}", clock.GetUtcNow(), Options.RetryBackoff, Options.LongestRetryBackoff);
        logger.LogError("Rotation {RotationId} of agent {AgentName} failed ({Reason}: {Detail}); the agent is out of sync until a later rotation succeeds",
            rotationId, saga.AgentName, reason, detail);
        await EndAsync(saga);
    }

    /// <summary>An answer about a rotation that is no longer in flight: kept in that rotation's history, nothing else.</summary>
    public Task RecordLateAnswerAsync(Guid rotationId, RotationFailureReason reason, string? detail, CancellationToken cancellationToken) =>
        history.FailedAsync(rotationId, reason, detail, cancellationToken);

    /// <summary>The worker fell back to a recreate: wait for it under the recreate's deadline, and extend the lease to match.</summary>
    public async Task FollowFallbackAsync(AgentCredentialState saga, TokenReloadFellBack fellBack, CancellationToken cancellationToken)
    {
        var budget = fellBack.DrainTimeout + Options.RecreateBudget;
        saga.RotationMethod = SwitchMethod.Recreate;
        saga.DeadlineAt = clock.GetUtcNow() + budget;
        await agentLock.ExtendAsync(saga.AgentName, saga.RotationId!.Value, budget);
        await history.ExplainAsync(saga.RotationId!.Value, $"hot-reload fell back to a drained recreate ({fellBack.Reason})", cancellationToken);
        logger.LogWarning("Rotation {RotationId} of agent {AgentName} fell back to a recreate ({Reason}); deadline {Deadline}",
            saga.RotationId, saga.AgentName, fellBack.Reason, saga.DeadlineAt);
    }

    async Task EndAsync(AgentCredentialState saga)
    {
        await agentLock.ReleaseAsync(saga.AgentName, saga.RotationId!.Value);
        saga.End(clock.GetUtcNow());
    }

    async Task<Rotation> AssignAsync(AgentCredentialState saga, Agent agent, Subscription? target, RotationCause cause, SwitchMethod method, TimeSpan deadline)
    {
        var now = clock.GetUtcNow();
        var from = agent.SubscriptionId;
        agent.FencingToken += 1;
        var rotation = history.Started(cause, agent, target, method, now);
        agent.SubscriptionId = target?.Id;
        agent.UpdatedAt = now;
        saga.Begin(rotation, now + deadline);
        // The lease was taken for a hot-reload's deadline; only a longer one (a recreate) needs another round trip.
        if (deadline != Options.ReloadDeadline)
            await agentLock.ExtendAsync(agent.Name, rotation.Id, deadline);

        logger.LogInformation("Agent {AgentName}: rotation {RotationId} ({Trigger}) from {From} to {To} by {Method}, fence {FencingToken}: {Reason}",
            agent.Name, rotation.Id, rotation.Trigger, from, target?.Id, method, agent.FencingToken, rotation.Reason);
        return rotation;
    }
}
