using Microsoft.EntityFrameworkCore;
using Trinity.Messaging.Contracts.Identity;

namespace Trinity.Infrastructure.Persistence.Sagas;

public static class AgentCredentialStates
{
    /// <summary>
    /// Makes sure the agent's state machine row exists (idle) before any event for it is published. Every event
    /// then finds a row to lock with <c>SELECT … FOR UPDATE</c>, so even the first burst for a new agent is
    /// serialized on that row rather than racing for the Redis lease and backing off for seconds.
    /// </summary>
    public static Task EnsureExistsAsync(this TrinityDbContext db, string agentName, CancellationToken cancellationToken) =>
        db.EnsureExistAsync([agentName], cancellationToken);

    /// <summary><see cref="EnsureExistsAsync"/> for many agents in one statement.</summary>
    public static Task EnsureExistAsync(this TrinityDbContext db, IReadOnlyCollection<string> agentNames, CancellationToken cancellationToken)
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
