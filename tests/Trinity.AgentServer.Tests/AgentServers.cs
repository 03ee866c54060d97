using Trinity.Testing;

namespace Trinity.AgentServer.Tests;

/// <summary>Agent server processes for one test class, each with its own port, key and override file; all stopped at the end.</summary>
public sealed class AgentServers : IAsyncDisposable
{
    readonly List<AgentServerProcess> _started = [];
    readonly string _logs = RepositoryPaths.TestLogs($"agent-server-{Guid.NewGuid():N}");

    public string LogDirectory => _logs;

    public async Task<AgentServerProcess> StartAsync(string? bakedToken, string? existingOverride = null, UnixFileMode? overrideMode = null,
        IReadOnlyDictionary<string, string?>? extra = null)
    {
        var agent = AgentServerProcess.Start($"agent{_started.Count}", bakedToken, _logs, extra, overrideFile =>
        {
            if (existingOverride is null)
                return;
            File.WriteAllText(overrideFile, existingOverride);
            if (overrideMode is { } mode)
                File.SetUnixFileMode(overrideFile, mode);
        });
        _started.Add(agent);
        await agent.Process.WaitUntilStartedAsync();
        return agent;
    }

    /// <summary>An agent server expected to refuse to start, left to exit on its own.</summary>
    public async Task<ServiceProcess> StartExpectingRefusalAsync(IReadOnlyDictionary<string, string?> extra)
    {
        var agent = AgentServerProcess.Start($"agent{_started.Count}", Canary.NewToken(), _logs, extra);
        _started.Add(agent);
        await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return agent.Process;
    }

    readonly List<ServiceProcess> _others = [];

    /// <summary>Any other process the test needs (the model-API simulator), stopped with the rest.</summary>
    public ServiceProcess Track(string service, string name, IReadOnlyDictionary<string, string?> environment)
    {
        var process = ServiceProcess.Start(service, name, environment, _logs);
        _others.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _others)
            await process.DisposeAsync();
        foreach (var agent in _started)
        {
            await agent.Process.DisposeAsync();
            agent.Dispose();
        }
    }
}
