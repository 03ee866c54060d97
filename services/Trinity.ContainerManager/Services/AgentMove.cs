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
    public sealed record Moved(string FromHost, string ToHost, string BaseUrl, string? OldContainerId, string? VolumeLeftBehind, DrainOutcome Drain) : MoveResult;

    /// <summary>Placed on the target host already (the command redelivered after the placement was written): only its start is sent again.</summary>
    public sealed record AlreadyThere(string Host) : MoveResult;

    /// <summary>
    /// Its container here was stopped or removed, but the move could not be finished (a newer rotation's fence came
    /// between, or Docker or the database failed): the placement is unchanged, and its start is sent here again.
    /// </summary>
    public sealed record StaysHere(string Reason) : MoveResult;

    /// <summary>Nothing was touched.</summary>
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

    /// <summary>The Docker host this manager serves.</summary>
    public string Host => options.Value.Host;

    public async Task<MoveResult> MoveAsync(string agentName, string toHost, Guid owner, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var target = dockerHosts.Find(toHost);
        if (target is null)
            return new MoveResult.Refused(dockerHosts.Unknown(toHost));
        var agent = await db.Agents.SingleOrDefaultAsync(a => a.Name == agentName && a.DeletedAt == null, cancellationToken);
        if (WhyNot(agent, target) is { } early)
            return early;

        await using var renewal = await LeaseRenewal.TakeOverAsync(lease, agentName, owner, options.Value.LeaseRenewal, logger, releaseWhenDone: true);
        await recreate.PutBackHalfWayAsync(agent!, cancellationToken);
        // Asked again under the lease: a move or a deletion that held it before may have changed the agent.
        await db.Entry(agent!).ReloadAsync(cancellationToken);
        if (WhyNot(agent!.DeletedAt is null ? agent : null, target) is { } late)
            return late;
        var container = agent.ContainerId is null ? null : await containers.InspectAsync(agent.ContainerId, cancellationToken);
        var drained = await drain.DrainIfRunningAsync(agent, container, placements, drainTimeout, cancellationToken);
        if (await placements.WhyNotOursAsync(renewal, agent, "the drain", cancellationToken) is { } lost)
            return new MoveResult.Refused($"{lost}; nothing was stopped");

        var baseUrl = DockerHosts.OnHost(agent.BaseUrl!, target);
        try
        {
            if (container is not null)
                await containers.StopAndRemoveAsync(container.ID, cancellationToken);
            var placed = await db.Agents.Where(a => a.Name == agentName && a.FencingToken == agent.FencingToken).ExecuteUpdateAsync(a => a
                .SetProperty(x => x.DockerHost, target.Name)
                .SetProperty(x => x.BaseUrl, baseUrl)
                .SetProperty(x => x.ContainerId, (string?)null)
                .SetProperty(x => x.EncryptedControlKey, (byte[]?)null)
                .SetProperty(x => x.FencingToken, x => x.FencingToken + 1)
                .SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);
            if (placed == 0)
                return new MoveResult.StaysHere($"a newer rotation took agent {agentName} while its container was removed");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new MoveResult.StaysHere($"{ex.GetType().Name}: {ex.Message}");
        }
        var volume = container?.Mounts?.FirstOrDefault(m => m.Destination == Workspace)?.Name;
        logger.LogInformation("Agent {AgentName} moved from Docker host {FromHost} to {ToHost} at {BaseUrl}: container {ContainerId} removed, workspace volume {Volume} left on {FromHost}; {Outliving} turns outlived the drain",
            agentName, agent.DockerHost, target.Name, baseUrl, container is null ? "(none)" : AgentPlacements.Short(container.ID), volume ?? "(none)", agent.DockerHost, drained.TurnsOutliving);
        return new MoveResult.Moved(agent.DockerHost, target.Name, baseUrl, container?.ID, volume, drained);
    }

    /// <returns>Why the agent is not moved from here (or is there already), or null when it is.</returns>
    MoveResult? WhyNot(Agent? agent, DockerHost target) => agent switch
    {
        null => new MoveResult.Refused("the agent is not registered"),
        _ when agent.DockerHost == target.Name => new MoveResult.AlreadyThere(target.Name),
        _ when placements.ElsewhereThan(agent) is { } elsewhere => new MoveResult.Refused(elsewhere),
        { Kind: not AgentKind.Managed } or { BaseUrl: null } => new MoveResult.Refused(
            $"agent {agent.Name} is {agent.Kind.ToString().ToLowerInvariant()}: only an agent this system started is moved, and started again elsewhere"),
        _ => null,
    };
}
