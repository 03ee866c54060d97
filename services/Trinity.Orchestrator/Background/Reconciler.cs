using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;

namespace Trinity.Orchestrator.Background;

/// <summary>
/// Compares, for every idle agent with a known applied state, what it runs (subscription and key version, as
/// its last rotation confirmed) with what the database holds, and asks for a rotation where they differ — a
/// rollover that failed for one agent, an agent left out of sync by a rejection or a deadline, a deleted agent whose
/// container's removal failed. An agent whose rotations keep failing waits out its back-off (30 s doubling to 1 h)
/// between attempts.
/// </summary>
public sealed class Reconciler(
    IServiceScopeFactory scopes,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<Reconciler> logger) : PeriodicWork(options.Value.ReconcileInterval, clock, logger)
{
    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        var now = Clock.GetUtcNow();
        var differing = await (
                from saga in db.AgentCredentialStates
                join agent in db.Agents on saga.AgentName equals agent.Name
                where agent.RemovedAt == null && saga.RotationId == null
                      && saga.PendingReassignmentId == null && saga.PendingRefreshId == null && saga.PendingFailureIds.Count == 0
                let subscription = db.Subscriptions.FirstOrDefault(s => s.Id == agent.SubscriptionId)
                where agent.DeletedAt != null
                      || saga.OutOfSync
                      || (saga.AppliedSubscriptionId != null && saga.AppliedSubscriptionId != agent.SubscriptionId)
                      || (subscription != null && saga.AppliedSubscriptionId == subscription.Id && saga.AppliedKeyVersion != subscription.KeyVersion)
                      || (subscription != null && (subscription.DeletedAt != null || subscription.DisabledAt != null))
                select new { agent.Name, agent.SubscriptionId, KeyVersion = subscription == null ? 0 : subscription.KeyVersion, saga.NextAttemptAt, Deleted = agent.DeletedAt != null })
            .ToListAsync(cancellationToken);
        TrinityMetrics.AgentsOutOfSync(differing.Count);
        // An agent whose rotations keep failing is tried again after its back-off, not at every pass.
        var lagging = differing.Where(a => a.NextAttemptAt is null || a.NextAttemptAt <= now).ToList();
        if (lagging.Count == 0)
            return;

        var writer = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
        var pass = Guid.NewGuid();
        foreach (var agent in lagging)
        {
            writer.Publish(new AgentTokenRefreshRequested
            {
                AgentName = agent.Name,
                SubscriptionId = agent.SubscriptionId ?? Guid.Empty,
                KeyVersion = agent.KeyVersion,
                Reason = agent.Deleted ? TokenRefreshReason.AgentDeleted : TokenRefreshReason.Reconcile,
                CausationId = pass,
            }, AgentIdentity.For(agent.Name));
        }
        await writer.SaveAndSendAsync(transaction: null, cancellationToken);
        Logger.LogInformation("Reconciler: {Count} agents differ from the database: {Agents}", lagging.Count, string.Join(", ", lagging.Select(a => a.Name)));
    }
}
