using System.Security.Cryptography;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Secrets;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Services;

/// <summary>
/// The agent containers on this Docker host — the only code that talks to Docker. Recreates an agent's
/// container without killing its work: asks the agent to drain and waits for its
/// in-flight turns (up to the drain timeout), stops, removes, creates the container again with the same image,
/// name, labels, mounts and network and an environment rewritten from the database, starts it and waits until
/// it is healthy. It holds the agent's lease (taking it over from the rotation) and renews it while it works.
/// </summary>
public sealed class AgentContainerOperations(
    IDockerClient docker,
    TrinityDbContext db,
    SecretCipher cipher,
    AgentLease lease,
    AgentControlClient agents,
    IOptions<ContainerManagerOptions> options,
    ILogger<AgentContainerOperations> logger)
{
    public async Task<RecreateResult> RecreateAsync(string agentName, Guid rotationId, long fencingToken, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.SingleOrDefaultAsync(a => a.Name == agentName && a.DeletedAt == null, cancellationToken);
        if (agent is null)
            return new RecreateResult.Refused(RotationFailureReason.NoPlacement, "the agent is not registered");
        if (agent.FencingToken != fencingToken)
            return new RecreateResult.Refused(RotationFailureReason.FencingTokenStale, $"fencing token {fencingToken} is older than the agent's {agent.FencingToken}");

        await using var renewal = await LeaseRenewal.TakeOverAsync(lease, agentName, rotationId, options.Value.LeaseRenewal, logger);
        if (agent.LastRecreateRotationId == rotationId && agent.ContainerId is not null)
            return new RecreateResult.Recreated(agent.ContainerId, agent.ContainerId, 0);
        if (agent.ContainerId is null)
            return new RecreateResult.NoContainer();

        ContainerInspectResponse old;
        try
        {
            old = await docker.Containers.InspectContainerAsync(agent.ContainerId, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return new RecreateResult.NoContainer();
        }
        if (!old.State.Running)
            return new RecreateResult.NotRunning();

        var oldKey = agent.EncryptedControlKey is null ? null : cipher.Decrypt(agent.EncryptedControlKey);
        var outliving = await DrainAsync(agent, oldKey, drainTimeout, cancellationToken);

        try
        {
            await docker.Containers.StopContainerAsync(old.ID, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)options.Value.StopGrace.TotalSeconds }, cancellationToken);
            await docker.Containers.RemoveContainerAsync(old.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }
        catch (DockerApiException ex)
        {
            if (agent.BaseUrl is not null && oldKey is not null)
                await agents.ResumeAsync(agent.BaseUrl, oldKey, cancellationToken);
            return new RecreateResult.Failed($"stopping the old container failed ({ex.StatusCode}); admission resumed, the old container serves on");
        }

        var newKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        string created;
        try
        {
            var token = await TokenOfAsync(agent, cancellationToken);
            var environment = AgentEnvironment.Rewrite(old.Config.Env ?? [], agent, token, options.Value.PlatformApiKey, newKey);
            created = await CreateAndStartAsync(old, old.Config.Image, environment, agent, cancellationToken);
        }
        catch (Exception ex) when (ex is DockerApiException or InvalidOperationException or TimeoutException)
        {
            // Restore service from the saved configuration, pinned to the exact image it ran.
            var restored = await CreateAndStartAsync(old, old.Image, old.Config.Env ?? [], agent, cancellationToken);
            await RecordPlacementAsync(agent, restored, agent.EncryptedControlKey, rotationId, fencingToken, cancellationToken);
            logger.LogError("Recreate of agent {AgentName} failed ({Error}); the previous configuration was restored as {ContainerId}",
                agentName, ex.Message, Short(restored));
            return new RecreateResult.Failed($"creating the new container failed ({ex.GetType().Name}); the previous configuration was restored as container {Short(restored)}");
        }

        await RecordPlacementAsync(agent, created, cipher.Encrypt(newKey), rotationId, fencingToken, cancellationToken);
        logger.LogInformation("Agent {AgentName} recreated: {Old} → {New}; {Outliving} turns outlived the drain", agentName, Short(old.ID), Short(created), outliving);
        return new RecreateResult.Recreated(old.ID, created, outliving);
    }

    /// <summary>
    /// Creates or starts the agent's container from the database's view of the agent, so a stopped agent always
    /// starts with the token the database holds (a stopped container is recreated, never just started: its baked
    /// token and override file may be stale). A running container is left as it is.
    /// </summary>
    public async Task<StartResult> StartAsync(string agentName, Guid owner, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.SingleOrDefaultAsync(a => a.Name == agentName && a.DeletedAt == null, cancellationToken);
        if (agent?.BaseUrl is null || !Uri.TryCreate(agent.BaseUrl, UriKind.Absolute, out var baseUri))
            return new StartResult.Refused("the agent is not registered with a base URL");

        await using var renewal = await LeaseRenewal.TakeOverAsync(lease, agentName, owner, options.Value.LeaseRenewal, logger, releaseWhenDone: true);
        var newKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var token = await TokenOfAsync(agent, cancellationToken);
        ContainerInspectResponse? existing = null;
        if (agent.ContainerId is not null)
        {
            try
            {
                existing = await docker.Containers.InspectContainerAsync(agent.ContainerId, cancellationToken);
            }
            catch (DockerContainerNotFoundException)
            {
            }
        }
        if (existing is { State.Running: true })
            return new StartResult.Started(existing.ID);

        string started;
        if (existing is not null)
        {
            await docker.Containers.RemoveContainerAsync(existing.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
            started = await CreateAndStartAsync(existing, existing.Config.Image,
                AgentEnvironment.Rewrite(existing.Config.Env ?? [], agent, token, options.Value.PlatformApiKey, newKey), agent, cancellationToken);
        }
        else
        {
            var baked = options.Value.Environment.Append($"ASPNETCORE_URLS=http://{baseUri.Host}:{baseUri.Port}");
            started = await CreateFreshAsync(agent, baseUri, AgentEnvironment.Rewrite(baked, agent, token, options.Value.PlatformApiKey, newKey), cancellationToken);
        }
        await RecordPlacementAsync(agent, started, cipher.Encrypt(newKey), agent.LastRecreateRotationId, agent.FencingToken, cancellationToken);
        logger.LogInformation("Agent {AgentName} started as {ContainerId} with the database's credentials", agentName, Short(started));
        return new StartResult.Started(started);
    }

    async Task<string> CreateFreshAsync(Agent agent, Uri baseUri, IList<string> environment, CancellationToken cancellationToken)
    {
        var name = $"{options.Value.ContainerNamePrefix}{agent.Name}";
        var labels = new Dictionary<string, string>(options.Value.Labels) { ["trinity.agent"] = agent.Name };
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = options.Value.AgentImage,
            Env = environment,
            Labels = labels,
            HostConfig = new HostConfig
            {
                // Host networking here: each agent server on its own loopback port (the base URL's). Otherwise the
                // agents' network, where the container's name (the base URL's host) resolves.
                NetworkMode = baseUri.IsLoopback ? "host" : options.Value.AgentNetwork,
                Binds = [$"{name}-workspace:/home/developer"],
            },
        }, cancellationToken);
        await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        await WaitUntilHealthyAsync(agent.BaseUrl!, cancellationToken);
        return created.ID;
    }

    /// <summary>A removed subscription's token is never baked again: the agent gets no token until it is moved.</summary>
    async Task<string?> TokenOfAsync(Agent agent, CancellationToken cancellationToken)
    {
        var sealedToken = agent.SubscriptionId is { } subscriptionId
            ? await db.Subscriptions.Where(s => s.Id == subscriptionId && s.DeletedAt == null).Select(s => s.EncryptedToken).SingleOrDefaultAsync(cancellationToken)
            : null;
        return sealedToken is null ? null : cipher.Decrypt(sealedToken);
    }

    /// <summary>Stops admitting turns and waits for those in flight; what is still running at the timeout is counted, then ended by the stop.</summary>
    async Task<int> DrainAsync(Agent agent, string? controlKey, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        if (agent.BaseUrl is null || controlKey is null)
            return 0;
        try
        {
            await agents.DrainAsync(agent.BaseUrl, controlKey, cancellationToken);
            var deadline = DateTimeOffset.UtcNow + drainTimeout;
            while (true)
            {
                var running = await agents.RunningTurnsAsync(agent.BaseUrl, controlKey, cancellationToken);
                if (running == 0 || DateTimeOffset.UtcNow >= deadline)
                    return running;
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // An agent that cannot be asked (hung, unreachable, an image without the routes) cannot be drained by us.
            logger.LogWarning("Agent {AgentName} could not be drained ({Error}); recreating without a drain", agent.Name, ex.Message);
            return 0;
        }
    }

    async Task<string> CreateAndStartAsync(ContainerInspectResponse old, string image, IList<string> environment, Agent agent, CancellationToken cancellationToken)
    {
        var parameters = new CreateContainerParameters(old.Config)
        {
            Name = old.Name.TrimStart('/'),
            Image = image,
            Env = environment,
            HostConfig = old.HostConfig,
        };
        if (old.HostConfig.NetworkMode is not ("host" or "default" or "bridge" or null) && old.NetworkSettings?.Networks is { Count: > 0 } networks)
        {
            parameters.NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = networks.ToDictionary(n => n.Key, n => new EndpointSettings { Aliases = n.Value.Aliases, NetworkID = n.Value.NetworkID }),
            };
        }
        var created = await docker.Containers.CreateContainerAsync(parameters, cancellationToken);
        await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
        if (agent.BaseUrl is not null)
            await WaitUntilHealthyAsync(agent.BaseUrl, cancellationToken);
        return created.ID;
    }

    async Task WaitUntilHealthyAsync(string baseUrl, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + options.Value.HealthTimeout;
        while (!await agents.IsHealthyAsync(baseUrl, cancellationToken))
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"the new container did not answer {baseUrl}/health within {options.Value.HealthTimeout}");
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    /// <summary>The placement follows the container, written with the fence: a newer rotation's placement is never overwritten.</summary>
    async Task RecordPlacementAsync(Agent agent, string containerId, byte[]? controlKey, Guid? rotationId, long fencingToken, CancellationToken cancellationToken)
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

    static string Short(string containerId) => containerId[..Math.Min(12, containerId.Length)];
}
