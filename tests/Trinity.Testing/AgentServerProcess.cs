using System.Security.Cryptography;

namespace Trinity.Testing;

/// <summary>An agent server under test as a process of its own.</summary>
public sealed class AgentServerProcess(string agentName, ServiceProcess process, string baseUrl, string controlKey, string overrideFile)
    : AgentClient(agentName, baseUrl, controlKey)
{
    public ServiceProcess Process { get; } = process;
    public string OverrideFile { get; } = overrideFile;

    /// <summary>
    /// Starts an agent server (not waiting for it) on a free loopback port with a fresh control key and its
    /// override file in a directory of its own, which <paramref name="prepareOverrideFile"/> may fill first.
    /// </summary>
    public static AgentServerProcess Start(string agentName, string? bakedToken, string logDirectory,
        IReadOnlyDictionary<string, string?>? extra = null, Action<string>? prepareOverrideFile = null)
    {
        var port = FreePort.Next();
        var controlKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var overrideFile = Path.Combine(Directory.CreateDirectory(Path.Combine(logDirectory, $"agent-{agentName}")).FullName, "oauth-token");
        prepareOverrideFile?.Invoke(overrideFile);
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["TRINITY_AGENT_CONTROL_KEY"] = controlKey,
            ["CLAUDE_CODE_OAUTH_TOKEN"] = bakedToken,
            ["Trinity__Agent__OverrideFile"] = overrideFile,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            environment[key] = value;
        var process = ServiceProcess.Start("Trinity.AgentServer", $"agent-{agentName}", environment, logDirectory);
        return new AgentServerProcess(agentName, process, $"http://127.0.0.1:{port}", controlKey, overrideFile);
    }
}
