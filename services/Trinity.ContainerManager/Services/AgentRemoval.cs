using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Hosting.Faults;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Secrets;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Services;

/// <summary>How the removal of a deleted agent's container ended, for the agent's state machine.</summary>
public abstract record RemovalResult
{
    /// <param name="ContainerId">The container removed; null when the agent had none.</param>
    public sealed record Removed(string? ContainerId, int TurnsOutlivingDrain, bool Drained) : RemovalResult;

    /// <summary>Nothing was done: the agent is not deleted, or a newer rotation owns it.</summary>
    public sealed record Refused(RotationFailureReason Reason, string Detail) : RemovalResult;

    public sealed record Failed(string Detail) : RemovalResult;
}

/// <summary>
/// Removes a deleted agent's container without killing its work, so no token of it stays live: drain (its turns end
/// on their own, up to the drain timeout), then stop and remove — each destructive step only while the manager still
/// holds the agent's lease and its fence is the command's. A recreate that stopped half-way is cleaned up with it:
/// the container it created goes too, and so does its journal.
/// </summary>
public sealed class AgentRemoval(
    TrinityDbContext db,
    AgentLease lease,
    AgentPlacements placements,
    DockerAgentContainers containers,
    AgentDrain drain,
    RecreateJournal journal,
    FaultPoints faults,
    IOptions<ContainerManagerOptions> options,
    ILogger<AgentRemoval> logger)
{
    public async Task<RemovalResult> RemoveAsync(string agentName, Guid rotationId, long fencingToken, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.SingleOrDefaultAsync(a => a.Name == agentName && a.RemovedAt == null, cancellationToken);
        if (agent is not { DeletedAt: not null })
            return new RemovalResult.Refused(RotationFailureReason.NoPlacement, agent is null ? "the agent is not registered" : "the agent is not deleted");
        if (placements.ElsewhereThan(agent) is { } elsewhere)
            return new RemovalResult.Refused(RotationFailureReason.NoPlacement, elsewhere);
        if (agent.FencingToken != fencingToken)
            return new RemovalResult.Refused(RotationFailureReason.FencingTokenStale, $"fencing token {fencingToken} is older than the agent's {agent.FencingToken}");

        await using var renewal = await LeaseRenewal.TakeOverAsync(lease, agentName, rotationId, options.Value.LeaseRenewal, logger);
        try
        {
            var halfWay = await journal.FindAsync(agentName, cancellationToken);
            var containerId = agent.ContainerId ?? halfWay?.OldContainerId;
            var container = containerId is null ? null : await containers.InspectAsync(containerId, cancellationToken);
            var drained = await drain.DrainIfRunningAsync(agent, container, placements, drainTimeout, cancellationToken);
            await faults.ReachedAsync("removal-drained", cancellationToken);

            if (await placements.WhyNotOursAsync(renewal, agent, "the drain", cancellationToken) is { } lost)
                return new RemovalResult.Failed($"{lost}; nothing was stopped");
            if (halfWay?.NewContainerId is { } created)
                await containers.RemoveAsync(created, cancellationToken);
            if (container is not null)
                await containers.StopAndRemoveAsync(container.ID, cancellationToken);
            if (halfWay is not null)
                await journal.EndAsync(halfWay, cancellationToken);
            await placements.RecordRemovedAsync(agent, cancellationToken);
            logger.LogInformation("Agent {AgentName} deleted: container {ContainerId} removed; {Outliving} turns outlived the drain", agentName,
                container is null ? "(none)" : AgentPlacements.Short(container.ID), drained.TurnsOutliving);
            return new RemovalResult.Removed(container?.ID, drained.TurnsOutliving, drained.Drained);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError("Removing the container of deleted agent {AgentName} failed: {Error}", agentName, ex.Message);
            return new RemovalResult.Failed($"{ex.GetType().Name}: {ex.Message}");
        }
    }
}
