using Trinity.Testing;

namespace Trinity.AgentServer.Tests;

/// <summary>Agent server processes for one test class, each with its own port, key and override file; all stopped at the end.</summary>
public sealed class AgentServers : IAsyncDisposable
{
    readonly List<AgentServerProcess> _started = [];
    readonly string _logs = RepositoryPaths.TestLogs($"agent-server-{Guid.NewGuid():N}");

    public async Task<AgentServerProcess> StartAsync(string? bakedToken, string? existingOverride = null, UnixFileMode? overrideMode = null)
    {
        var agent = AgentServerProcess.Start($"agent{_started.Count}", bakedToken, _logs);
        _started.Add(agent);
        if (existingOverride is not null)
        {
            await File.WriteAllTextAsync(agent.OverrideFile, existingOverride);
            if (overrideMode is { } mode)
                File.SetUnixFileMode(agent.OverrideFile, mode);
        }
        await agent.Process.WaitUntilStartedAsync();
        return agent;
    }

    /// <summary>An agent server started without a control key, left to exit on its own.</summary>
    public async Task<ServiceProcess> StartWithoutControlKeyAsync()
    {
        var agent = AgentServerProcess.Start($"agent{_started.Count}", Canary.NewToken(), _logs, new Dictionary<string, string?> { ["TRINITY_AGENT_CONTROL_KEY"] = null });
        _started.Add(agent);
        await agent.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return agent.Process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _started)
        {
            await agent.Process.DisposeAsync();
            agent.Dispose();
        }
    }
}
