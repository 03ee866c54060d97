using System.Security.Cryptography;

namespace Trinity.Testing;

/// <summary>An agent server in a real container of the agent image, on its own loopback port (host networking).</summary>
public sealed class ContainerAgent(string agentName, string baseUrl, string controlKey, AgentContainers containers, string containerId)
    : AgentClient(agentName, baseUrl, controlKey)
{
    public AgentContainers Containers { get; } = containers;
    public string ContainerId { get; private set; } = containerId;

    public static async Task<ContainerAgent> RunAsync(AgentContainers containers, string agentName, string? bakedToken,
        IReadOnlyDictionary<string, string?>? extra = null, string image = AgentContainers.Image, string address = "127.0.0.1")
    {
        var port = FreePort.Next();
        var controlKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var environment = new Dictionary<string, string?>
        {
            ["TRINITY_AGENT_CONTROL_KEY"] = controlKey,
            ["CLAUDE_CODE_OAUTH_TOKEN"] = bakedToken,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            environment[key] = value;
        var id = await containers.RunAsync(agentName, port, environment, image, address);
        var agent = new ContainerAgent(agentName, $"http://{address}:{port}", controlKey, containers, id);
        await agent.WaitUntilHealthyAsync();
        return agent;
    }

    public async Task RecreateAsync()
    {
        ContainerId = await Containers.RecreateAsync(ContainerId);
        await WaitUntilHealthyAsync();
    }

    public async Task StopAndStartAsync()
    {
        await Containers.StopAsync(ContainerId);
        await Containers.StartAsync(ContainerId);
        await WaitUntilHealthyAsync();
    }

    public Task<string> LogsAsync() => Containers.LogsAsync(ContainerId);
}
