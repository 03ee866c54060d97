using System.Diagnostics;
using System.Globalization;

namespace Trinity.Testing;

/// <summary>
/// A second Docker engine of the test's own beside the machine's: its own socket, data root, exec root, containerd
/// namespaces and (empty) configuration file, no bridge, no iptables — a second Docker host on this one machine. Its
/// containers use host networking like the first engine's, so a test gives its agents another loopback address
/// (127.0.0.2) to tell the hosts apart. The agent image is loaded into it from the first engine (nothing can be pulled
/// here). At the end its containers are removed, the daemon stopped by its PID and its directory deleted; an engine a
/// dead run left behind is stopped and removed at start — only a directory of root's own, mode 0700, and only a
/// daemon whose command line names that directory's pid file.
/// </summary>
public sealed class DockerEngine : IAsyncDisposable
{
    /// <summary>Under /var/tmp and short: a unix socket's path may be at most 107 bytes.</summary>
    const string Root = "/var/tmp";
    const string DirectoryPrefix = "trinity-engine-";
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(20);

    readonly string _directory;
    readonly ServiceProcess _daemon;

    DockerEngine(string directory, ServiceProcess daemon, string runId)
    {
        _directory = directory;
        _daemon = daemon;
        Endpoint = $"unix://{directory}/docker.sock";
        Containers = new AgentContainers(runId, Endpoint);
    }

    /// <summary><c>Trinity:ContainerManager:DockerEndpoint</c> of the manager that serves this engine.</summary>
    public string Endpoint { get; }

    /// <summary>This run's agent containers on this engine.</summary>
    public AgentContainers Containers { get; }

    public static async Task<DockerEngine> StartAsync(string runId, string logDirectory, params string[] images)
    {
        await RemoveLeftoversAsync();
        var directory = CreateOwnDirectory();
        var id = Path.GetFileName(directory);
        File.WriteAllText(Path.Combine(directory, "daemon.json"), "{}"); // nothing of /etc/docker/daemon.json applies
        ServiceProcess daemon;
        try
        {
            daemon = ServiceProcess.StartExecutable("dockerd",
                [
                    "--config-file", $"{directory}/daemon.json", "--data-root", $"{directory}/data", "--exec-root", $"{directory}/exec",
                    "-H", $"unix://{directory}/docker.sock", "--pidfile", $"{directory}/docker.pid",
                    "--containerd-namespace", id, "--containerd-plugins-namespace", $"{id}-plugins",
                    "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
                ],
                $"dockerd-{id}", new Dictionary<string, string?>(), logDirectory, "API listen on");
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }

        var engine = new DockerEngine(directory, daemon, runId);
        try
        {
            await daemon.WaitUntilStartedAsync(); // a daemon that exits ends the wait at once, with its last lines
            foreach (var image in images.Length > 0 ? images : [AgentContainers.Image])
                await engine.LoadAsync(image);
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
        return engine;
    }

    /// <summary>Made under a name no leftover sweep matches, then renamed: another run never takes it for a dead run's.</summary>
    static string CreateOwnDirectory()
    {
        var id = DirectoryPrefix + Guid.NewGuid().ToString("N")[..8];
        var staging = Directory.CreateDirectory(Path.Combine(Root, $".{id}"), OwnerOnly).FullName;
        File.WriteAllText(Path.Combine(staging, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var directory = Path.Combine(Root, id);
        Directory.Move(staging, directory);
        return directory;
    }

    /// <summary>An image of the machine's engine, saved there and loaded here.</summary>
    async Task LoadAsync(string image)
    {
        var loaded = await CommandRun.RunAsync("bash", ["-o", "pipefail", "-c", "docker -H \"$1\" save \"$0\" | docker -H \"$2\" load -q", image, AgentContainers.LocalEngine, Endpoint],
            new Dictionary<string, string?>(), timeout: TimeSpan.FromSeconds(120));
        if (loaded.ExitCode != 0)
            throw new InvalidOperationException($"{image} could not be loaded into {Endpoint}: {loaded}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_daemon.HasExited)
                await Containers.DisposeAsync(); // this run's containers and volumes
        }
        finally
        {
            try
            {
                await _daemon.StopAsync(StopPatience); // SIGTERM: dockerd stops its containers and its containerd
                await _daemon.DisposeAsync();
            }
            finally
            {
                await RemoveDirectoryAsync(_directory);
            }
        }
    }

    /// <summary>A leftover's daemon: SIGTERM (it stops its containers and its containerd), SIGKILL to it and its children after 20 s.</summary>
    static async Task StopAsync(Process daemon)
    {
        if (daemon.HasExited)
            return;
        await CommandRun.RunAsync("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string?>());
        using (var patience = new CancellationTokenSource(StopPatience))
        {
            try
            {
                await daemon.WaitForExitAsync(patience.Token);
                return;
            }
            catch (OperationCanceledException)
            {
            }
        }
        daemon.Kill(entireProcessTree: true);
        using var end = new CancellationTokenSource(StopPatience);
        await daemon.WaitForExitAsync(end.Token);
    }

    /// <summary>Its network namespace mount must go before the directory can.</summary>
    static async Task RemoveDirectoryAsync(string directory)
    {
        var mounts = File.ReadAllLines("/proc/self/mounts").Select(line => line.Split(' ')[1]).Where(m => m.StartsWith(directory + "/", StringComparison.Ordinal));
        foreach (var mount in mounts.OrderByDescending(m => m.Length))
            await CommandRun.RunAsync("umount", ["-l", mount], new Dictionary<string, string?>());
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>
    /// Engines of runs whose test process is gone: the directory only when it is root's, mode 0700 (a directory anyone
    /// else made is left alone), its daemon only when that process was started on this directory's pid file.
    /// </summary>
    static async Task RemoveLeftoversAsync()
    {
        foreach (var directory in Directory.EnumerateDirectories(Root, DirectoryPrefix + "*"))
        {
            var info = new DirectoryInfo(directory);
            if (info.LinkTarget is not null || info.UnixFileMode != OwnerOnly)
                continue;
            if (await OwnerUidAsync(directory) != "0" || ReadPid(Path.Combine(directory, "owner.pid")) is { } owner && Alive(owner) is not null)
                continue;
            if (ReadPid(Path.Combine(directory, "docker.pid")) is { } pid && Alive(pid) is { } daemon && StartedOn(pid, directory))
                await StopAsync(daemon);
            await RemoveDirectoryAsync(directory);
        }
    }

    static int? ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : null;

    static bool StartedOn(int pid, string directory)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return arguments.Zip(arguments.Skip(1)).Any(pair => pair == ("--pidfile", $"{directory}/docker.pid"));
        }
        catch (IOException)
        {
            return false;
        }
    }

    static async Task<string> OwnerUidAsync(string path) => (await CommandRun.RunAsync("stat", ["-c", "%u", path], new Dictionary<string, string?>())).Output.Trim();

    static Process? Alive(int pid)
    {
        try
        {
            var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
