using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Secrets;

namespace Trinity.ContainerManager.Services;

/// <summary>
/// Creates or starts the agent's container from the database's view of the agent, so a stopped agent always starts
/// with the token the database holds (a stopped container is recreated, never just started: its baked token and
/// override file may be stale). A running container is left as it is.
/// </summary>
public sealed class AgentStart(
    TrinityDbContext db,
    SecretCipher cipher,
    AgentLease lease,
    AgentPlacements placements,
    DockerAgentContainers containers,
    AgentRecreate recreate,
    IOptions<ContainerManagerOptions> options,
    ILogger<AgentStart> logger)
{
    public async Task<StartResult> StartAsync(string agentName, Guid owner, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.SingleOrDefaultAsync(a => a.Name == agentName && a.DeletedAt == null, cancellationToken);
        if (agent?.BaseUrl is null || !Uri.TryCreate(agent.BaseUrl, UriKind.Absolute, out var baseUri))
            return new StartResult.Refused("the agent is not registered with a base URL");
        if (agent.Kind == AgentKind.Unmanaged)
            return new StartResult.Refused("the agent is unmanaged: its owner starts it");
        if (placements.ElsewhereThan(agent) is { } elsewhere)
            return new StartResult.Refused(elsewhere);

        await using var renewal = await LeaseRenewal.TakeOverAsync(lease, agentName, owner, options.Value.LeaseRenewal, logger, releaseWhenDone: true);
        await recreate.PutBackHalfWayAsync(agent, cancellationToken);
        await db.Entry(agent).ReloadAsync(cancellationToken);
        // A move that held the lease may have placed the agent elsewhere meanwhile.
        if (placements.ElsewhereThan(agent) is { } movedAway)
            return new StartResult.Refused(movedAway);
        var existing = agent.ContainerId is null ? null : await containers.InspectAsync(agent.ContainerId, cancellationToken);
        if (existing is { State.Running: true })
            return new StartResult.Started(existing.ID);

        var key = AgentPlacements.NewControlKey();
        string started;
        if (existing is not null)
        {
            await containers.RemoveAsync(existing.ID, cancellationToken);
            started = await containers.CreateLikeAsync(existing, existing.Config.Image,
                await placements.EnvironmentAsync(existing.Config.Env ?? [], agent, key, cancellationToken), cancellationToken);
            await containers.StartAsync(started, cancellationToken);
            await containers.WaitUntilHealthyAsync(agent.BaseUrl, cancellationToken);
        }
        else if (agent.Kind == AgentKind.Adopted)
        {
            // A container of this system's own making would lose everything the adopted one had.
            return new StartResult.Refused("the adopted container is gone: adopt the one that replaced it");
        }
        else
        {
            var baked = options.Value.Environment.Append($"ASPNETCORE_URLS=http://{baseUri.Host}:{baseUri.Port}");
            started = await containers.CreateFreshAsync(agent, baseUri, await placements.EnvironmentAsync(baked, agent, key, cancellationToken), cancellationToken);
        }
        await placements.RecordAsync(agent, started, cipher.Encrypt(key), agent.LastRecreateRotationId, agent.FencingToken, cancellationToken);
        logger.LogInformation("Agent {AgentName} started as {ContainerId} with the database's credentials", agentName, AgentPlacements.Short(started));
        return new StartResult.Started(started);
    }
}
