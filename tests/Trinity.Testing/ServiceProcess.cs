using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Trinity.Testing;

/// <summary>
/// A service under test, started from its built output as a real process. Configuration goes in through the
/// environment only (never the command line); output is kept in memory and in
/// <c>artifacts/test-logs/{class}/{name}.log</c>. Stopped by its own PID: SIGTERM for a graceful stop,
/// SIGKILL for a crash.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _lines = new();
    readonly StreamWriter _log;
    int _disposed;

    readonly string _readyMarker;

    ServiceProcess(string name, Process process, StreamWriter log, string readyMarker)
    {
        Name = name;
        _process = process;
        _log = log;
        _readyMarker = readyMarker;
    }

    public string Name { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;
    public IReadOnlyCollection<string> Output => _lines;
    public string OutputText => string.Join('\n', _lines);

    public static ServiceProcess Start(string service, string name, IReadOnlyDictionary<string, string?> environment, string logDirectory)
    {
        var assembly = RepositoryPaths.ServiceAssembly(service);
        if (!File.Exists(assembly))
            throw new FileNotFoundException($"{assembly} is not built: run `dotnet build` first.");
        return StartExecutable("dotnet", [assembly], name, environment, logDirectory, "Application started");
    }

    /// <summary>Any executable (redis-server, say); started is when a line contains <paramref name="readyMarker"/>.</summary>
    public static ServiceProcess StartExecutable(string executable, IEnumerable<string> arguments, string name,
        IReadOnlyDictionary<string, string?> environment, string logDirectory, string readyMarker)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = logDirectory,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_ENVIRONMENT"] = "Test";
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var log = new StreamWriter(Path.Combine(logDirectory, $"{name}.log"), append: true) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var service1 = new ServiceProcess(name, process, log, readyMarker);
        process.OutputDataReceived += (_, e) => service1.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => service1.Capture(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service1;
    }

    /// <summary>Waits until the host reports started (receive endpoints included: the bus waits for them).</summary>
    public async Task<ServiceProcess> WaitUntilStartedAsync(TimeSpan? timeout = null)
    {
        bool Started() => _lines.Any(line => line.Contains(_readyMarker, StringComparison.Ordinal));
        await Eventually.Until(() => Started() || _process.HasExited, $"{Name} to start", timeout ?? TimeSpan.FromSeconds(60));
        if (Started())
            return this;
        await _process.WaitForExitAsync(); // the output to its end, so that the reason is in it
        throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it started:\n{Tail()}");
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: false);
        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGSTOP: the process holds its sockets and answers nothing, as a host swapping or a stopped-the-world pause would.</summary>
    public void Pause() => Signal(Sigstop);

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal(Sigcont);

    void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"signal {signal} to {Name} (pid {_process.Id}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGTERM, then SIGKILL if it has not stopped in time.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (_process.HasExited)
            return;
        _ = Kill(_process.Id, Sigterm);
        try
        {
            await WaitForExitAsync(grace ?? TimeSpan.FromSeconds(20));
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    public string Tail(int lines = 40) => string.Join('\n', _lines.TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        await _log.DisposeAsync();
    }

    void Capture(string? line)
    {
        if (line is null)
            return;
        _lines.Enqueue(line);
        lock (_log)
            _log.WriteLine(line);
    }

    const int Sigterm = 15;
    const int Sigcont = 18;
    const int Sigstop = 19;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
