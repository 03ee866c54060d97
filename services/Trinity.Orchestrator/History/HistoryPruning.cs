using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Orchestrator.History;

/// <summary>
/// Deletes failure reports and ended rotations recorded before a cutoff, in batches, keeping every row something
/// still points at: a failure an agent waits to decide or to look at again, the report that disabled a subscription
/// (deleting it never re-enables anything: the disabling is stored on the subscription), a rotation in flight.
/// </summary>
public sealed class HistoryPruning(TrinityDbContext db)
{
    public const int BatchSize = 5_000;

    public sealed record Pruned(int Failures, int Rotations);

    /// <summary>One batch of each; call again while it deleted a full batch.</summary>
    public async Task<Pruned> PruneAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var failures = await db.Database.ExecuteSqlAsync(
            $"""
            DELETE FROM failures WHERE id IN (
                SELECT f.id FROM failures f
                WHERE f.recorded_at < {cutoff}
                  AND NOT EXISTS (SELECT 1 FROM agent_credential_states s WHERE f.id = ANY (s.pending_failure_ids) OR s.recheck_failure_id = f.id)
                  AND NOT EXISTS (SELECT 1 FROM subscriptions x WHERE x.disabled_by_failure_id = f.id)
                LIMIT {BatchSize})
            """, cancellationToken);
        var rotations = await db.Database.ExecuteSqlAsync(
            $"""
            DELETE FROM rotations WHERE id IN (
                SELECT r.id FROM rotations r
                WHERE r.started_at < {cutoff} AND r.outcome <> 'InProgress'
                  AND NOT EXISTS (SELECT 1 FROM agent_credential_states s WHERE s.rotation_id = r.id)
                LIMIT {BatchSize})
            """, cancellationToken);
        return new Pruned(failures, rotations);
    }
}
