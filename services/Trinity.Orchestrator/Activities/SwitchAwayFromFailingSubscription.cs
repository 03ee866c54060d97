using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Services;

namespace Trinity.Orchestrator.Activities;

/// <summary>
/// A failure reported while the agent is idle: take the lease, read the agent inside it, and either ignore a
/// stale report, publish that nothing is viable, or start a hot-reload to the chosen alternative.
/// </summary>
public sealed class SwitchAwayFromFailingSubscription(
    TrinityDbContext db,
    AgentLease lease,
    AfterCommit afterCommit,
    SubscriptionSelector selector,
    RotationStarter rotations,
    OutboxWriter outbox,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<SwitchAwayFromFailingSubscription> logger) : AgentCredentialActivity<SubscriptionFailureReported>
{
    protected override async Task Execute(BehaviorContext<AgentCredentialState, SubscriptionFailureReported> context)
    {
        var failure = context.Message;
        var saga = context.Saga;
        saga.AgentName = AgentName.Normalize(failure.AgentName);
        var record = await FailureHistory.RecordAsync(db, failure, clock);
        if (record.Decision is not null)
        {
            logger.LogInformation("Failure {FailureId} of agent {AgentName} was redelivered; already decided: {Decision}", failure.FailureId, saga.AgentName, record.Decision);
            return;
        }

        if (!options.Value.AutoSwitchEnabled)
        {
            record.Decision = "recorded: auto-switch is disabled";
            return;
        }

        // The rotation id is derived from the message, so a retried delivery finds the lease it already took.
        var rotationId = AgentIdentity.NameBased(saga.CorrelationId, $"failure:{failure.FailureId}");
        if (!await lease.TryAcquireAsync(saga.AgentName, rotationId, options.Value.LeaseTtl))
            throw new AgentLeaseUnavailableException(saga.AgentName, await lease.OwnerAsync(saga.AgentName));
        afterCommit.Add(() => lease.ReleaseAsync(saga.AgentName, rotationId));

        // Read inside the lease: a snapshot taken before it can be stale.
        var agent = await db.LoadForUpdateAsync(saga.AgentName, context.CancellationToken);
        if (agent is null)
        {
            record.Decision = "ignored: unknown agent";
            logger.LogWarning("Failure {FailureId} names agent {AgentName}, which is not registered", failure.FailureId, saga.AgentName);
            return;
        }

        if (agent.SubscriptionId != failure.SubscriptionId)
        {
            record.Decision = $"stale: the agent is on {agent.SubscriptionId?.ToString() ?? "no subscription"} now";
            logger.LogInformation("Failure {FailureId} of agent {AgentName} is about {SubscriptionId}, which it has left: no switch",
                failure.FailureId, saga.AgentName, failure.SubscriptionId);
            return;
        }

        var target = await selector.ChooseAlternativeAsync(failure.SubscriptionId, context.CancellationToken);
        if (target is null)
        {
            record.Decision = "exhausted: no viable alternative";
            outbox.Publish(new AgentSubscriptionsExhausted { AgentName = saga.AgentName, FailedSubscriptionId = failure.SubscriptionId }, saga.CorrelationId);
            logger.LogWarning("Agent {AgentName}: subscription {SubscriptionId} failed ({Kind}) and no alternative is viable",
                saga.AgentName, failure.SubscriptionId, failure.Kind);
            return;
        }

        // The lease now belongs to the rotation: it is released when the rotation ends, not after this commit.
        afterCommit.Discard();
        rotations.StartHotReload(saga, agent, target, new Rotation
        {
            Id = rotationId,
            AgentName = saga.AgentName,
            Trigger = SwitchTrigger.AutoSwitch,
            FromSubscriptionId = failure.SubscriptionId,
            CausationId = failure.FailureId,
            Reason = $"{failure.Kind} on {failure.SubscriptionId} reported by {failure.Source}",
        });
        record.Decision = $"switched to {target.Name}";
        record.RotationId = rotationId;
        logger.LogInformation("Agent {AgentName} moves from {From} to {To} ({Kind}); rotation {RotationId}, fence {FencingToken}",
            saga.AgentName, failure.SubscriptionId, target.Id, failure.Kind, rotationId, agent.FencingToken);
    }
}
