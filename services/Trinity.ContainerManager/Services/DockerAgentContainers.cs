using Trinity.AgentProtocol;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Placement;

namespace Trinity.ContainerManager.Services;

/// <summary>The Docker engine's side of an agent's container: what a recreate or a start asks of Docker, one call each.</summary>
public sealed class DockerAgentContainers(IDockerClient docker, AgentProtocolClient agents, DockerHosts dockerHosts, IOptions<ContainerManagerOptions> options)
{
    /// <summary>On every container this manager creates: the Docker host it runs on (<c>docker ps --filter label=trinity.docker-host=…</c>).</summary>
    public const string HostLabel = "trinity.docker-host";

    ContainerManagerOptions Options => options.Value;

    /// <returns>The container, or null when there is no such container.</returns>
    public async Task<ContainerInspectResponse?> InspectAsync(string idOrName, CancellationToken cancellationToken)
    {
        try
        {
            return await docker.Containers.InspectContainerAsync(idOrName, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Every running container with the label (<c>KEY=VALUE</c> or <c>KEY</c>), inspected.</summary>
    public async Task<List<ContainerInspectResponse>> RunningWithLabelAsync(string label, CancellationToken cancellationToken)
    {
        var listed = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } },
        }, cancellationToken);
        var inspected = new List<ContainerInspectResponse>();
        foreach (var container in listed)
        {
            if (await InspectAsync(container.ID, cancellationToken) is { } found)
                inspected.Add(found);
        }
        return inspected;
    }

    /// <returns>The text of one small regular file of the container, read through the Docker API; null when there is none.</returns>
    public async Task<string?> ReadFileAsync(string id, string path, CancellationToken cancellationToken)
    {
        GetArchiveFromContainerResponse archive;
        try
        {
            archive = await docker.Containers.GetArchiveFromContainerAsync(id, new GetArchiveFromContainerParameters { Path = path }, statOnly: false, cancellationToken);
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        await using var stream = archive.Stream;
        await using var tar = new System.Formats.Tar.TarReader(stream);
        var entry = await tar.GetNextEntryAsync(copyData: false, cancellationToken);
        if (entry is not { EntryType: System.Formats.Tar.TarEntryType.RegularFile or System.Formats.Tar.TarEntryType.V7RegularFile, DataStream: { } data } || entry.Length > 64 * 1024)
            return null;
        using var reader = new StreamReader(data);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    public Task StopAsync(string id, CancellationToken cancellationToken) =>
        docker.Containers.StopContainerAsync(id, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Options.StopGrace.TotalSeconds }, cancellationToken);

    /// <summary>Stops the container with the grace period, then removes it (its volumes stay).</summary>
    public async Task StopAndRemoveAsync(string id, CancellationToken cancellationToken)
    {
        await StopAsync(id, cancellationToken);
        await RemoveAsync(id, cancellationToken);
    }

    /// <summary>Removes the container, if there is one (a half-created one after a crash, say).</summary>
    public async Task RemoveAsync(string idOrName, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(idOrName, new ContainerRemoveParameters { Force = true }, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    public Task StartAsync(string id, CancellationToken cancellationToken) => docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken);

    /// <summary>A container like <paramref name="old"/> — name, labels, mounts, network, resources — from <paramref name="image"/>, with <paramref name="environment"/>; not started.</summary>
    public async Task<string> CreateLikeAsync(ContainerInspectResponse old, string image, IList<string> environment, CancellationToken cancellationToken)
    {
        var parameters = new CreateContainerParameters(old.Config)
        {
            Name = old.Name.TrimStart('/'),
            Image = image,
            Env = environment,
            Labels = new Dictionary<string, string>(old.Config.Labels ?? new Dictionary<string, string>()) { [HostLabel] = Options.Host },
            HostConfig = old.HostConfig,
        };
        if (old.HostConfig.NetworkMode is not ("host" or "default" or "bridge" or null) && old.NetworkSettings?.Networks is { Count: > 0 } networks)
        {
            parameters.NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = networks.ToDictionary(n => n.Key, n => new EndpointSettings { Aliases = n.Value.Aliases, NetworkID = n.Value.NetworkID }),
            };
        }
        return (await docker.Containers.CreateContainerAsync(parameters, cancellationToken)).ID;
    }

    /// <summary>A new agent's first container, from the configured image, started.</summary>
    public async Task<string> CreateFreshAsync(Agent agent, Uri baseUri, IList<string> environment, CancellationToken cancellationToken)
    {
        var name = $"{Options.ContainerNamePrefix}{agent.Name}";
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = name,
            Image = Options.AgentImage,
            Env = environment,
            Labels = new Dictionary<string, string>(Options.Labels) { ["trinity.agent"] = agent.Name, [HostLabel] = Options.Host },
            HostConfig = new HostConfig
            {
                // Host networking where the base URL is this host's address (or loopback): each agent server on its own
                // port of it. Otherwise the agents' network, where the container's name (the base URL's host) resolves.
                NetworkMode = baseUri.IsLoopback || baseUri.Host == dockerHosts.Find(Options.Host)?.Address ? "host" : Options.AgentNetwork,
                Binds = [$"{name}-workspace:/home/developer"],
            },
        }, cancellationToken);
        await StartAsync(created.ID, cancellationToken);
        await WaitUntilHealthyAsync(agent.BaseUrl, cancellationToken);
        return created.ID;
    }

    /// <summary>Until the agent server in the container answers its health route (when the agent has a base URL at all).</summary>
    public async Task WaitUntilHealthyAsync(string? baseUrl, CancellationToken cancellationToken)
    {
        if (baseUrl is null)
            return;
        var deadline = DateTimeOffset.UtcNow + Options.HealthTimeout;
        while (!await agents.IsHealthyAsync(baseUrl, cancellationToken))
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"the new container did not answer {baseUrl}/health within {Options.HealthTimeout}");
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
