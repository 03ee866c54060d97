using System.Formats.Tar;
using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace Trinity.Testing;

public sealed record ContainerFile(string Content, UnixFileMode Mode, int Uid);

/// <summary>
/// Agent containers on a Docker engine (the machine's, or a <see cref="DockerEngine"/> of the test's own), host
/// networking, each agent server on its own loopback port.
/// Every container carries the label <c>trinity.test-run</c>; leftovers of runs that died are removed.
/// Secrets go to Docker in the create request's environment, never on a command line.
/// </summary>
public sealed class AgentContainers(string runId, string endpoint = AgentContainers.LocalEngine) : IAsyncDisposable
{
    public const string Image = "trinity/agent:latest";
    public const string LegacyImage = "trinity/agent:legacy";
    public const string ReferenceImage = "trinity/agent:reference";
    public const string TestRunLabel = "trinity.test-run";
    public const string LocalEngine = "unix:///var/run/docker.sock";

    public DockerClient Docker { get; } = new DockerClientConfiguration(new Uri(endpoint)).CreateClient();

    /// <summary>The workspace volume of an agent in this run (mounted at /home/developer, as in production).</summary>
    public string WorkspaceVolume(string agentName) => $"trinity-test-{runId}-{agentName}-workspace";

    /// <param name="address">The loopback address its agent server binds: each Docker host of a test has its own.</param>
    public async Task<string> RunAsync(string agentName, int port, IReadOnlyDictionary<string, string?> environment, string image = Image, string address = "127.0.0.1")
    {
        await RemoveLeftoversAsync();
        var env = new Dictionary<string, string?>(environment) { ["ASPNETCORE_URLS"] = $"http://{address}:{port}" };
        var created = await Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"trinity-test-{runId}-{agentName}",
            Image = image,
            Env = env.Where(p => p.Value is not null).Select(p => $"{p.Key}={p.Value}").ToList(),
            Labels = new Dictionary<string, string> { [TestRunLabel] = runId, ["trinity.agent"] = agentName },
            HostConfig = new HostConfig { NetworkMode = "host", Binds = [$"{WorkspaceVolume(agentName)}:/home/developer"] },
        });
        await Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }

    /// <summary>
    /// A container as the reference platform starts one: named <c>agent-{name}</c>, the token baked in its environment, a
    /// workspace volume, its labels; here on the host network, its agent server on its own loopback port (<c>AGENT_PORT</c>).
    /// </summary>
    public async Task<string> RunLikeTheReferencePlatformAsync(string agentName, int port, IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> labels, string image = ReferenceImage)
    {
        var created = await Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"agent-{agentName}",
            Image = image,
            Env = [.. environment.Select(p => $"{p.Key}={p.Value}"), $"AGENT_PORT={port.ToString(CultureInfo.InvariantCulture)}"],
            Labels = new Dictionary<string, string>(labels) { [TestRunLabel] = runId },
            HostConfig = new HostConfig { NetworkMode = "host", Binds = [$"{WorkspaceVolume(agentName)}:/home/developer"] },
        });
        await Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }

    /// <summary>A service from its image (trinity/orchestrator, say) on the host network, labelled with this run.</summary>
    public async Task<string> RunServiceAsync(string name, string image, IReadOnlyDictionary<string, string?> environment,
        IList<string>? binds = null, IList<string>? groups = null, IList<string>? command = null)
    {
        var created = await Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"trinity-test-{runId}-{name}",
            Image = image,
            Cmd = command,
            Env = environment.Where(p => p.Value is not null).Select(p => $"{p.Key}={p.Value}").ToList(),
            Labels = new Dictionary<string, string> { [TestRunLabel] = runId },
            HostConfig = new HostConfig { NetworkMode = "host", Binds = binds, GroupAdd = groups },
        });
        await Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }

    public Task<ContainerInspectResponse> InspectAsync(string containerId) => Docker.Containers.InspectContainerAsync(containerId);

    /// <returns>The container, or null when it is gone.</returns>
    public async Task<ContainerInspectResponse?> InspectOrNullAsync(string containerId)
    {
        try
        {
            return await Docker.Containers.InspectContainerAsync(containerId);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Puts a file into a container (on its workspace volume, say) through the Docker API: the image has no shell.</summary>
    public async Task PutFileAsync(string containerId, string directory, string name, string content)
    {
        using var archive = new MemoryStream();
        await using (var tar = new TarWriter(archive, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), Uid = 1000, Gid = 1000, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            await tar.WriteEntryAsync(entry);
        }
        archive.Position = 0;
        await Docker.Containers.ExtractArchiveToContainerAsync(containerId, new ContainerPathStatParameters { Path = directory }, archive);
    }

    /// <summary>The container that now carries an agent's name (after a recreate, a new id).</summary>
    public async Task<ContainerInspectResponse> ByNameAsync(string agentName) =>
        await Docker.Containers.InspectContainerAsync($"trinity-test-{runId}-{agentName}");

    /// <summary>The container with an agent's name on this engine, or null when there is none.</summary>
    public Task<ContainerInspectResponse?> FindByNameAsync(string agentName) => InspectOrNullAsync($"trinity-test-{runId}-{agentName}");

    public async Task<bool> VolumeExistsAsync(string name) => (await Docker.Volumes.ListAsync()).Volumes.Any(v => v.Name == name);

    /// <summary>Every container of this run, in any state: a recreate that left the old one behind shows here.</summary>
    public async Task<int> CountAsync() => (await ContainersAsync(c => c.Labels[TestRunLabel] == runId)).Count();

    /// <summary>Remove, then create and start again from the same image and configuration: what a recreate does.</summary>
    public async Task<string> RecreateAsync(string containerId)
    {
        var old = await Docker.Containers.InspectContainerAsync(containerId);
        await Docker.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true });
        var created = await Docker.Containers.CreateContainerAsync(new CreateContainerParameters(old.Config)
        {
            Name = old.Name.TrimStart('/'),
            HostConfig = old.HostConfig,
        });
        await Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }

    public Task StopAsync(string containerId) =>
        Docker.Containers.StopContainerAsync(containerId, new ContainerStopParameters { WaitBeforeKillSeconds = 10 });

    /// <summary>SIGKILL to the container's init, as the kernel's OOM killer or a host losing power would.</summary>
    public Task KillAsync(string containerId) => Docker.Containers.KillContainerAsync(containerId, new ContainerKillParameters { Signal = "KILL" });

    public Task StartAsync(string containerId) => Docker.Containers.StartContainerAsync(containerId, new ContainerStartParameters());

    public async Task<ContainerFile> ReadFileAsync(string containerId, string path)
    {
        var archive = await Docker.Containers.GetArchiveFromContainerAsync(containerId, new GetArchiveFromContainerParameters { Path = path }, statOnly: false);
        await using var tar = new TarReader(archive.Stream);
        var entry = await tar.GetNextEntryAsync(copyData: true) ?? throw new FileNotFoundException(path);
        using var reader = new StreamReader(entry.DataStream!);
        return new ContainerFile(await reader.ReadToEndAsync(), entry.Mode, entry.Uid);
    }

    public async Task<string> LogsAsync(string containerId)
    {
        using var stream = await Docker.Containers.GetContainerLogsAsync(containerId, tty: false,
            new ContainerLogsParameters { ShowStdout = true, ShowStderr = true });
        var (stdout, stderr) = await stream.ReadOutputToEndAsync(CancellationToken.None);
        return stdout + stderr;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in await ContainersAsync(c => c.Labels[TestRunLabel] == runId))
            await Docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
        foreach (var volume in (await Docker.Volumes.ListAsync()).Volumes.Where(v => v.Name.StartsWith($"trinity-test-{runId}-", StringComparison.Ordinal)))
            await Docker.Volumes.RemoveAsync(volume.Name, force: true);
        Docker.Dispose();
    }

    /// <summary>Containers of test runs that started more than an hour ago (the run id begins with its start time).</summary>
    async Task RemoveLeftoversAsync()
    {
        foreach (var container in await ContainersAsync(c => Started(c.Labels[TestRunLabel]) < DateTime.UtcNow.AddHours(-1)))
            await Docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
    }

    async Task<IEnumerable<ContainerListResponse>> ContainersAsync(Func<ContainerListResponse, bool> which) =>
        (await Docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [TestRunLabel] = true } },
        })).Where(which);

    static DateTime Started(string runId) =>
        runId.Length >= 14 && DateTime.TryParseExact(runId[..14], "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var started)
            ? started
            : DateTime.MaxValue;
}
