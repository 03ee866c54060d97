using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Orchestrator.Configuration;

namespace Trinity.Orchestrator.Rotations;

/// <summary>
/// The agent's lease as the Orchestrator holds it: taken for a decision, with the agent's row read inside it (design
/// §4 rule 3: a snapshot taken before the lease can be stale), extended to a rotation's deadline, released when
/// the decision started nothing or the rotation ended. While another actor holds the lease, the message is retried.
/// </summary>
public sealed class AgentLock(TrinityDbContext db, AgentLease lease, IOptions<OrchestratorOptions> options)
{
    /// <returns>
    /// The agent's row, locked until the transaction ends — a deleted agent's too until its container is removed;
    /// null when no such agent is registered, or its removal is done.
    /// </returns>
    public async Task<Agent?> TakeAsync(string agentName, Guid rotationId, CancellationToken cancellationToken)
    {
        if (!await lease.TryAcquireAsync(agentName, rotationId, options.Value.ReloadDeadline))
        {
            TrinityMetrics.LeaseWaited();
            throw new AgentLeaseUnavailableException(agentName, await lease.OwnerAsync(agentName));
        }
        return await db.LoadForUpdateAsync(agentName, cancellationToken);
    }

    /// <summary>The lease lives as long as the rotation's deadline: held past it means someone renewed it.</summary>
    public Task<bool> ExtendAsync(string agentName, Guid rotationId, TimeSpan ttl) => lease.ExtendAsync(agentName, rotationId, ttl);

    public Task ReleaseAsync(string agentName, Guid rotationId) => lease.ReleaseAsync(agentName, rotationId);
}
