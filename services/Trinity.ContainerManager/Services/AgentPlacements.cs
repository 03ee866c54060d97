using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Secrets;

namespace Trinity.ContainerManager.Services;

/// <summary>What the database says a container of an agent gets, and what it records of the container an agent runs.</summary>
public sealed class AgentPlacements(TrinityDbContext db, SecretCipher cipher, IOptions<ContainerManagerOptions> options, ILogger<AgentPlacements> logger)
{
    public static string NewControlKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>
    /// The environment of a container of the agent: everything it had, the auth variables rewritten from the database
    /// for its mode, a fresh control key, and the agent's current fence (so a recreate never resets the agent's).
    /// A removed subscription's token is never baked again: the agent gets no token until it is moved.
    /// </summary>
    public async Task<List<string>> EnvironmentAsync(IEnumerable<string> current, Agent agent, string controlKey, CancellationToken cancellationToken)
    {
        var sealedToken = agent.SubscriptionId is { } subscriptionId
            ? await db.Subscriptions.Where(s => s.Id == subscriptionId && s.DeletedAt == null).Select(s => s.EncryptedToken).SingleOrDefaultAsync(cancellationToken)
            : null;
        return AgentEnvironment.Rewrite(current, agent, sealedToken is null ? null : cipher.Decrypt(sealedToken), options.Value.PlatformApiKey, controlKey);
    }

    /// <summary>Why this manager leaves the agent alone — it is placed on another Docker host — or null when it is this manager's.</summary>
    public string? ElsewhereThan(Agent agent) => agent.DockerHost == options.Value.Host ? null
        : $"agent {agent.Name} is placed on Docker host {agent.DockerHost}; this manager serves {options.Value.Host} and touches no other host's containers";

    public async Task<long> FenceOfAsync(string agentName, CancellationToken cancellationToken) =>
        await db.Agents.AsNoTracking().Where(a => a.Name == agentName).Select(a => a.FencingToken).SingleAsync(cancellationToken);

    /// <summary>
    /// Why work on the agent may not go on — its lease gone (a failed renewal, a failover, another actor), or a newer
    /// rotation's fence — or null when it may. Asked before every destructive step.
    /// </summary>
    public async Task<string?> WhyNotOursAsync(LeaseRenewal renewal, Agent agent, string after, CancellationToken cancellationToken)
    {
        if (!await renewal.StillHeldAsync())
            return $"the agent's lease was lost after {after}";
        var fence = await FenceOfAsync(agent.Name, cancellationToken);
        return fence != agent.FencingToken ? $"a newer rotation (fence {fence}) took the agent after {after}" : null;
    }

    /// <summary>A deleted agent's container is gone: no placement, no control key. Written with the fence, like every placement.</summary>
    public Task<int> RecordRemovedAsync(Agent agent, CancellationToken cancellationToken) =>
        db.Agents.Where(a => a.Name == agent.Name && a.FencingToken == agent.FencingToken).ExecuteUpdateAsync(a => a
            .SetProperty(x => x.ContainerId, (string?)null)
            .SetProperty(x => x.EncryptedControlKey, (byte[]?)null)
            .SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);

    /// <summary>The placement follows the container, written with the fence: a newer rotation's placement is never overwritten.</summary>
    public async Task RecordAsync(Agent agent, string containerId, byte[]? controlKey, Guid? rotationId, long fencingToken, CancellationToken cancellationToken)
    {
        var updated = await db.Agents
            .Where(a => a.Name == agent.Name && a.FencingToken == fencingToken)
            .ExecuteUpdateAsync(a => a
                .SetProperty(x => x.ContainerId, containerId)
                .SetProperty(x => x.EncryptedControlKey, controlKey)
                .SetProperty(x => x.LastRecreateRotationId, rotationId)
                .SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);
        if (updated == 0)
            logger.LogWarning("Agent {AgentName}: a newer rotation owns the placement; container {ContainerId} was not recorded", agent.Name, Short(containerId));
    }

    /// <summary>
    /// Where a container put back runs now — a fact, whoever owns the agent's rotations: with the old configuration it
    /// keeps the control key the database already holds.
    /// </summary>
    public Task RecordPutBackAsync(Agent agent, string containerId, CancellationToken cancellationToken) =>
        db.Agents.Where(a => a.Name == agent.Name).ExecuteUpdateAsync(a => a
            .SetProperty(x => x.ContainerId, containerId)
            .SetProperty(x => x.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);

    public static string Short(string containerId) => containerId[..Math.Min(12, containerId.Length)];

    /// <summary>
    /// The key to drain the agent with: its own; none for an adopted agent that never got one (the reference agent asks for
    /// none — and has no drain route, so it answers 404 and is not waited for); null when there is no agent to ask.
    /// </summary>
    public (bool Ask, string? Key) DrainKeyOf(Agent agent) => agent switch
    {
        { BaseUrl: null } => (false, null),
        { EncryptedControlKey: { } sealedKey } => (true, cipher.Decrypt(sealedKey)),
        { Kind: AgentKind.Adopted } => (true, null),
        _ => (false, null),
    };
}
