using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;

namespace Trinity.Infrastructure.Persistence;

public static class AgentRows
{
    /// <summary>The agent's row, locked until the transaction ends: the snapshot every decision reads.</summary>
    public static Task<Agent?> LoadForUpdateAsync(this TrinityDbContext db, string agentName, CancellationToken cancellationToken) =>
        db.Agents.FromSql($"SELECT * FROM agents WHERE name = {agentName} AND removed_at IS NULL FOR UPDATE").SingleOrDefaultAsync(cancellationToken);

    /// <summary>
    /// Makes sure the agent's state machine row exists (idle) before any event for it is published. Every event
    /// then finds a row to lock with <c>SELECT … FOR UPDATE</c>, so even the first burst for a new agent is
    /// serialized on that row rather than racing for the Redis lease and backing off for seconds.
    /// </summary>
    public static Task EnsureStateExistsAsync(this TrinityDbContext db, string agentName, CancellationToken cancellationToken) =>
        db.EnsureStatesExistAsync([agentName], cancellationToken);

    /// <summary><see cref="EnsureStateExistsAsync"/> for many agents in one statement.</summary>
    public static Task EnsureStatesExistAsync(this TrinityDbContext db, IReadOnlyCollection<string> agentNames, CancellationToken cancellationToken)
    {
        var names = agentNames.Select(AgentName.Normalize).Distinct().ToArray();
        var ids = names.Select(AgentIdentity.For).ToArray();
        return db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO agent_credential_states (correlation_id, agent_name, current_state, fencing_token, out_of_sync, updated_at)
            SELECT id, name, 'Idle', 0, false, {DateTimeOffset.UtcNow} FROM unnest({ids}, {names}) AS agent(id, name)
            ON CONFLICT DO NOTHING
            """, cancellationToken);
    }
}
