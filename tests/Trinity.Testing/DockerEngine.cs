using System.Diagnostics;
using System.Globalization;
using Docker.DotNet;

namespace Trinity.Testing;

/// <summary>
/// A second Docker engine of the test's own beside the machine's: its own socket, data root, exec root and containerd,
/// no bridge, no iptables — a second Docker host on this one machine. Its containers use host networking like the
/// first engine's, so a test gives its agents another loopback address (127.0.0.2) to tell the hosts apart. The agent
/// image is loaded into it from the first engine (nothing can be pulled here). At the end its containers are removed,
/// the daemon stopped by its PID and its directories deleted; an engine a dead run left behind is stopped and removed
/// at start.
/// </summary>
public sealed class DockerEngine : IAsyncDisposable
{
    /// <summary>Under /var/tmp and short: a unix socket's path may be at most 107 bytes.</summary>
    const string Root = "/var/tmp";
    const string DirectoryPrefix = "trinity-engine-";

    readonly string _directory;
    readonly Process _daemon;
    readonly string _logDirectory;
    readonly StreamWriter _log;

    DockerEngine(string directory, Process daemon, StreamWriter log, string runId, string logDirectory)
    {
        _directory = directory;
        _daemon = daemon;
        _log = log;
        _logDirectory = logDirectory;
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
        var directory = Directory.CreateDirectory(Path.Combine(Root, DirectoryPrefix + Guid.NewGuid().ToString("N")[..8])).FullName;
        File.WriteAllText(Path.Combine(directory, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var start = new ProcessStartInfo("dockerd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--data-root", $"{directory}/data", "--exec-root", $"{directory}/exec", "-H", $"unix://{directory}/docker.sock",
                     "--pidfile", $"{directory}/docker.pid", "--bridge=none", "--iptables=false", "--ip-masq=false",
                 })
            start.ArgumentList.Add(argument);
        var daemon = Process.Start(start) ?? throw new InvalidOperationException("dockerd did not start");
        var log = File.CreateText(Path.Combine(logDirectory, $"dockerd-{Path.GetFileName(directory)}.log"));
        log.AutoFlush = true;
        daemon.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        daemon.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (log) log.WriteLine(line.Data); };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();

        var engine = new DockerEngine(directory, daemon, log, runId, logDirectory);
        try
        {
            await Eventually.Until(engine.AnswersAsync, $"the Docker engine at {engine.Endpoint} to answer", TimeSpan.FromSeconds(60));
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

    /// <summary>An image of the machine's engine, saved there and loaded here.</summary>
    async Task LoadAsync(string image)
    {
        var loaded = await CommandRun.RunAsync("bash", ["-o", "pipefail", "-c", "docker save \"$0\" | docker -H \"$1\" load -q", image, Endpoint],
            new Dictionary<string, string?>(), timeout: TimeSpan.FromSeconds(120));
        if (loaded.ExitCode != 0)
            throw new InvalidOperationException($"{image} could not be loaded into {Endpoint}: {loaded}");
    }

    async Task<bool> AnswersAsync()
    {
        if (_daemon.HasExited)
            throw new InvalidOperationException($"dockerd for {Endpoint} exited with {_daemon.ExitCode}; see its log in {_logDirectory}");
        try
        {
            await Containers.Docker.System.PingAsync();
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or DockerApiException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return false;
        }
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
            await StopAsync(_daemon.Id, _daemon);
            await _daemon.WaitForExitAsync(); // and for the end of its output, before the log closes
            _daemon.Dispose();
            lock (_log)
                _log.Dispose();
            await RemoveDirectoryAsync(_directory);
        }
    }

    /// <summary>SIGTERM (dockerd stops its containerd and containers), SIGKILL after 20 s.</summary>
    static async Task StopAsync(int pid, Process? daemon)
    {
        daemon ??= TryGetProcess(pid);
        if (daemon is null || daemon.HasExited)
            return;
        await CommandRun.RunAsync("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string?>());
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await daemon.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            daemon.Kill(entireProcessTree: true);
            await daemon.WaitForExitAsync();
        }
    }

    /// <summary>Its network namespace mount must go before the directory can.</summary>
    static async Task RemoveDirectoryAsync(string directory)
    {
        var mounts = File.ReadAllLines("/proc/self/mounts").Select(line => line.Split(' ')[1]).Where(m => m.StartsWith(directory + "/", StringComparison.Ordinal));
        foreach (var mount in mounts.OrderByDescending(m => m.Length))
            await CommandRun.RunAsync("umount", ["-l", mount], new Dictionary<string, string?>());
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>Engines of runs whose test process is gone: their daemon (started by that run, known by its pid file) stopped, their directory removed.</summary>
    static async Task RemoveLeftoversAsync()
    {
        foreach (var directory in Directory.EnumerateDirectories(Root, DirectoryPrefix + "*"))
        {
            if (ReadPid(Path.Combine(directory, "owner.pid")) is { } owner && TryGetProcess(owner) is not null)
                continue;
            if (ReadPid(Path.Combine(directory, "docker.pid")) is { } daemon && IsDockerd(daemon))
                await StopAsync(daemon, null);
            await RemoveDirectoryAsync(directory);
        }
    }

    static int? ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : null;

    static bool IsDockerd(int pid) => TryGetProcess(pid) is { } process && process.ProcessName == "dockerd";

    static Process? TryGetProcess(int pid)
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
