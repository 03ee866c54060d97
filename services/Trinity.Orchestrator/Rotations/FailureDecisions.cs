using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;
using Trinity.Orchestrator.History;

namespace Trinity.Orchestrator.Rotations;

/// <summary>
/// What a failure report decides (design §4 rules 1–4): stale, about an old key, disabling, exhausted (looked at again
/// when the earliest blocking cooldown ends), or a switch — and what a failure arriving mid-rotation waits for.
/// </summary>
public sealed class FailureDecisions(
    AgentLock agentLock,
    SubscriptionSelector selector,
    RotationLifecycle rotations,
    FailureHistory failures,
    OutboxWriter outbox,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<FailureDecisions> logger)
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

        var rotationId = RotationDecisions.RotationIdFor(saga, "failure", failure.FailureId);
        var agent = await agentLock.TakeAsync(saga.AgentName, rotationId, cancellationToken);
        if (agent is not { DeletedAt: null })
        {
            record.Decision = agent is null ? "ignored: unknown agent" : "ignored: the agent was deleted";
            return await rotations.NotLiveAsync(saga, agent, rotationId, failure.FailureId);
        }

        // The stale-failure guard: a report about a subscription the agent has left never moves it again (no A→B→C).
        if (agent.SubscriptionId != failure.SubscriptionId)
        {
            record.Decision = $"stale: the agent is on {agent.SubscriptionId?.ToString() ?? "no subscription"} now";
            logger.LogInformation("Failure {FailureId} of agent {AgentName} is about {SubscriptionId}, which it has left: no switch",
                failure.FailureId, saga.AgentName, failure.SubscriptionId);
            return await NoRotationAsync(saga, rotationId);
        }

        var current = (await selector.FindAsync(failure.SubscriptionId, cancellationToken))!;
        if (IsAboutAnOldKey(record, current))
        {
            record.Decision = $"stale: about key version {record.KeyVersion}; the subscription runs version {current.KeyVersion} now";
            return await NoRotationAsync(saga, rotationId);
        }

        // Only a report that is acted on starts the back-off afresh: a stale one must not keep it at its first step.
        saga.NewTrigger();
        var cause = new RotationCause(rotationId, SwitchTrigger.AutoSwitch, failure.FailureId, $"{failure.Kind} on {failure.SubscriptionId} reported by {failure.Source}");
        if (Disables(record))
        {
            Disable(current, record);
            var moved = await rotations.MoveOffAsync(saga, agent, current, cause, cancellationToken);
            record.Decision = $"disabled {current.Name}: {(moved.Target is { } target ? $"switched to {target.Name}" : "no alternative: leaving subscription mode")}";
            record.RotationId = rotationId;
            return moved.Next;
        }
        return await SwitchOrRecheckLaterAsync(saga, agent, record, cause, cancellationToken);
    }

    /// <summary>A failure that found no alternative, decided again now that the earliest cooldown that blocked it has ended.</summary>
    public async Task<NextState> RecheckAsync(AgentCredentialState saga, Guid recheckId, CancellationToken cancellationToken)
    {
        var failureId = saga.RecheckFailureId;
        saga.RecheckAt = null;
        saga.RecheckFailureId = null;
        if (failureId is null || await failures.FindAsync(failureId.Value, cancellationToken) is not { } record)
            return NextState.Idle;
        var rotationId = RotationDecisions.RotationIdFor(saga, "recheck", recheckId);
        var agent = await agentLock.TakeAsync(saga.AgentName, rotationId, cancellationToken);
        if (agent is not { DeletedAt: null })
            return await rotations.NotLiveAsync(saga, agent, rotationId, recheckId);
        if (agent.SubscriptionId != record.SubscriptionId)
            return await NoRotationAsync(saga, rotationId);
        return await SwitchOrRecheckLaterAsync(saga, agent, record,
            new RotationCause(rotationId, SwitchTrigger.AutoSwitch, record.Id, $"{record.Kind} on {record.SubscriptionId}, looked at again once a cooldown ended"),
            cancellationToken);
    }

    /// <summary>
    /// About the subscription an auto-switch is leaving, a failure mid-rotation is the rest of the burst that started
    /// it: stale. Anything else waits for the rotation to end — a 429 during a rollover (from = to) is real — one per
    /// subscription: a second about the same one is absorbed by the first.
    /// </summary>
    public async Task DeferAsync(AgentCredentialState saga, SubscriptionFailureReported failure)
    {
        var record = await failures.RecordAsync(failure);
        if (record.Decision is not null)
            return;
        if (saga.RotationTrigger == SwitchTrigger.Deletion)
        {
            record.Decision = $"ignored: rotation {saga.RotationId} removes the deleted agent";
            return;
        }
        if (saga.RotationTrigger == SwitchTrigger.AutoSwitch && failure.SubscriptionId == saga.FromSubscriptionId)
        {
            record.Decision = $"stale: rotation {saga.RotationId} is already moving the agent away from it";
            return;
        }
        var waiting = await failures.FindWaitingAsync(saga.PendingFailureIds, failure.SubscriptionId);
        if (waiting is not null)
            record.Decision = $"absorbed: failure {waiting} of the same subscription waits for the rotation to end";
        else
            saga.DeferFailure(failure.FailureId);
    }

    async Task<NextState> SwitchOrRecheckLaterAsync(AgentCredentialState saga, Agent agent, FailureRecord record, RotationCause cause, CancellationToken cancellationToken)
    {
        var choice = await selector.ChooseAlternativeAsync(record.SubscriptionId, cancellationToken);
        if (choice.Target is null)
        {
            if (record.Decision is null)
                outbox.Publish(new AgentSubscriptionsExhausted { AgentName = saga.AgentName, FailedSubscriptionId = record.SubscriptionId }, saga.CorrelationId);
            record.Decision = choice.NextViableAt is { } at ? $"exhausted: no viable alternative; looked at again at {at:O}" : "exhausted: no viable alternative";
            saga.RecheckAt = choice.NextViableAt;
            saga.RecheckFailureId = choice.NextViableAt is null ? null : record.Id;
            logger.LogWarning("Agent {AgentName}: subscription {SubscriptionId} failed ({Kind}) and no alternative is viable; looked at again at {RecheckAt}",
                saga.AgentName, record.SubscriptionId, record.Kind, choice.NextViableAt);
            return await NoRotationAsync(saga, cause.RotationId);
        }
        var next = await rotations.StartHotReloadAsync(saga, agent, choice.Target, cause);
        record.Decision = $"switched to {choice.Target.Name}";
        record.RotationId = cause.RotationId;
        return next;
    }

    /// <summary>An authentication failure of a key that has since been rolled over says nothing of the key in force now (design §4 rule 4).</summary>
    static bool IsAboutAnOldKey(FailureRecord record, Subscription current) =>
        record.Kind == FailureKind.AuthenticationFailed && record.KeyVersion is { } version && version < current.KeyVersion;

    /// <summary>A revoked token does not heal in two hours: 401, 403 or an authentication marker disable; a 503 only cools down.</summary>
    static bool Disables(FailureRecord record) => record.Kind == FailureKind.AuthenticationFailed && record.StatusCode != 503;

    void Disable(Subscription subscription, FailureRecord record)
    {
        if (subscription.DisabledAt is not null)
            return;
        subscription.DisabledAt = clock.GetUtcNow();
        subscription.DisabledReason = $"{record.Kind} ({record.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no status"}) of key version {subscription.KeyVersion}, reported by {record.Source} for {record.AgentName}";
        subscription.DisabledByFailureId = record.Id;
        outbox.Publish(new SubscriptionDisabled { SubscriptionId = subscription.Id, FailureId = record.Id });
        logger.LogWarning("Subscription {Subscription} disabled: {Reason}", subscription.Name, subscription.DisabledReason);
    }

    async Task<NextState> NoRotationAsync(AgentCredentialState saga, Guid rotationId)
    {
        await agentLock.ReleaseAsync(saga.AgentName, rotationId);
        return NextState.Idle;
    }
}
