using System.Security.Cryptography;
using System.Text.Json;

namespace Trinity.Testing;

/// <summary>
/// One agent server process in fleet mode: many agents, each under <c>/agents/{name}</c> with its own key and token, on
/// a loopback address (another one stands for another Docker host's).
/// </summary>
public sealed class FleetAgentServer(ServiceProcess process, IReadOnlyList<AgentClient> agents) : IDisposable
{
    public ServiceProcess Process { get; } = process;
    public IReadOnlyList<AgentClient> Agents { get; } = agents;

    public AgentClient this[string name] => Agents.Single(a => a.AgentName == name);

    public static async Task<FleetAgentServer> StartAsync(IEnumerable<(string Name, string? Token)> fleet, string logDirectory,
        Func<string, string, IReadOnlyDictionary<string, string?>, ServiceProcess> start, string address = "127.0.0.1")
    {
        var port = FreePort.Next();
        var members = fleet.Select(a => (a.Name, a.Token, Key: Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)))).ToList();
        var directory = Directory.CreateDirectory(Path.Combine(logDirectory, $"fleet-{port}")).FullName;
        var file = Path.Combine(directory, "fleet.json");
        File.WriteAllText(file, "");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(file, JsonSerializer.Serialize(members.Select(m => new { name = m.Name, controlKey = m.Key, token = m.Token })));

        var process = start("Trinity.AgentServer", $"fleet-{port}", new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://{address}:{port}",
            ["Trinity__Agent__FleetFile"] = file,
            ["Trinity__Agent__FleetOverrideDirectory"] = Path.Combine(directory, "overrides"),
            ["Serilog__MinimumLevel__Default"] = "Warning",
            ["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Information",
        });
        await process.WaitUntilStartedAsync();
        return new FleetAgentServer(process, members.Select(m => new AgentClient(m.Name, $"http://{address}:{port}/agents/{m.Name}", m.Key)).ToList());
    }

    public void Dispose()
    {
        foreach (var agent in Agents)
            agent.Dispose();
    }
}
