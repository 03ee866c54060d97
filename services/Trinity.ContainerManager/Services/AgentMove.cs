using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Placement;

namespace Trinity.ContainerManager.Services;

/// <summary>How a move ended.</summary>
public abstract record MoveResult
{
    /// <param name="VolumeLeftBehind">The workspace volume the old container mounted, which stays on the old host.</param>
    public sealed record Moved(string FromHost, string BaseUrl, string? OldContainerId, string? VolumeLeftBehind, DrainOutcome Drain) : MoveResult;

    /// <summary>Placed on the target host already (the command redelivered after the placement was written): only its start is sent again.</summary>
    public sealed record AlreadyThere : MoveResult;

    public sealed record Refused(string Reason) : MoveResult;
}

/// <summary>
/// Moves an agent off this manager's Docker host, under its lease: drain (its turns end on their own, up to the drain
/// timeout), stop and remove its container — its workspace volume stays here, the agent starts on the new host with
/// that host's — then place it on the new host at that host's address, with a fence one higher, so a command of its
/// old placement is refused. Its start there is the caller's to send.
/// </summary>
public sealed class AgentMove(
    TrinityDbContext db,
    AgentLease lease,
    AgentPlacements placements,
    DockerAgentContainers containers,
    AgentDrain drain,
    AgentRecreate recreate,
    DockerHosts dockerHosts,
    IOptions<ContainerManagerOptions> options,
    ILogger<AgentMove> logger)
{
    const string Workspace = "/home/developer";

    public async Task<MoveResult> MoveAsync(string agentName, string toHost, Guid owner, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.SingleOrDefaultAsync(a => a.Name == agentName && a.DeletedAt == null, cancellationToken);
        var target = dockerHosts.Find(toHost);
        if (agent is null || target is null)
            return new MoveResult.Refused(agent is null ? "the agent is not registered" : dockerHosts.Unknown(toHost));
        if (agent.DockerHost == target.Name)
            return new MoveResult.AlreadyThere();
        if (placements.ElsewhereThan(agent) is { } elsewhere)
            return new MoveResult.Refused(elsewhere);
        if (agent.Kind != AgentKind.Managed || agent.BaseUrl is null)
            return new MoveResult.Refused($"agent {agentName} is {agent.Kind.ToString().ToLowerInvariant()}: only an agent this system started is moved, and started again elsewhere");

        await using var renewal = await LeaseRenewal.TakeOverAsync(lease, agentName, owner, options.Value.LeaseRenewal, logger, releaseWhenDone: true);
        await recreate.PutBackHalfWayAsync(agent, cancellationToken);
        await db.Entry(agent).ReloadAsync(cancellationToken);
        var container = agent.ContainerId is null ? null : await containers.InspectAsync(agent.ContainerId, cancellationToken);
        var drained = new DrainOutcome(0, Drained: false);
        if (container is { State.Running: true } && placements.DrainKeyOf(agent) is (true, var key))
            drained = await drain.DrainAsync(agentName, agent.BaseUrl, key, drainTimeout, cancellationToken);
        if (await placements.WhyNotOursAsync(renewal, agent, "the drain", cancellationToken) is { } lost)
            return new MoveResult.Refused($"{lost}; nothing was stopped");
        if (container is not null)
        {
            await containers.StopAsync(container.ID, cancellationToken);
            await containers.RemoveAsync(container.ID, cancellationToken);
        }

        var baseUrl = DockerHosts.OnHost(agent.BaseUrl, target);
        await db.Agents.Where(a => a.Name == agentName && a.FencingToken == agent.FencingToken).ExecuteUpdateAsync(a => a
            .SetProperty(x => x.DockerHost, target.Name)
            .SetProperty(x => x.BaseUrl, baseUrl)
            .SetProperty(x => x.ContainerId, (string?)null)
            .SetProperty(x => x.EncryptedControlKey, (byte[]?)null)
            .SetProperty(x => x.FencingToken, x => x.FencingToken + 1)
            .SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);
        var volume = container?.Mounts?.FirstOrDefault(m => m.Destination == Workspace)?.Name;
        logger.LogInformation("Agent {AgentName} moved from Docker host {FromHost} to {ToHost} at {BaseUrl}: container {ContainerId} removed, workspace volume {Volume} left on {FromHost}; {Outliving} turns outlived the drain",
            agentName, agent.DockerHost, target.Name, baseUrl, container is null ? "(none)" : AgentPlacements.Short(container.ID), volume ?? "(none)", agent.DockerHost, drained.TurnsOutliving);
        return new MoveResult.Moved(agent.DockerHost, baseUrl, container?.ID, volume, drained);
    }
}
