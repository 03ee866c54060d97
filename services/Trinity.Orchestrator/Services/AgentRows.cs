using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.Orchestrator.Services;

public static class AgentRows
{
    /// <summary>The agent's row, locked until the transaction ends: the snapshot every decision reads.</summary>
    public static Task<Agent?> LoadForUpdateAsync(this TrinityDbContext db, string agentName, CancellationToken cancellationToken) =>
        db.Agents.FromSql($"SELECT * FROM agents WHERE name = {agentName} AND deleted_at IS NULL FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
}
