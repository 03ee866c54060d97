using Trinity.AgentServer.Credentials;
using Trinity.AgentServer.Security;
using Trinity.AgentServer.Turns;

namespace Trinity.AgentServer.Agents;

/// <summary>Everything one agent has in this server: its key, its live credential, the fence it accepted and its turns.</summary>
public sealed class AgentRuntime(string name, ControlKey controlKey, AgentCredentials credentials, AcceptedFence fence, TurnRunner turns)
{
    public string Name { get; } = name;
    public ControlKey ControlKey { get; } = controlKey;
    public AgentCredentials Credentials { get; } = credentials;
    public AcceptedFence Fence { get; } = fence;
    public TurnRunner Turns { get; } = turns;
}

/// <summary>The agents this process serves: one in production, many in fleet mode (tests and benchmarks).</summary>
public sealed class AgentRegistry(IEnumerable<AgentRuntime> agents)
{
    readonly Dictionary<string, AgentRuntime> _agents = agents.ToDictionary(a => a.Name, StringComparer.Ordinal);

    public int Count => _agents.Count;

    public AgentRuntime? Find(string name) => _agents.GetValueOrDefault(name);

    public AgentRuntime Single => _agents.Count == 1 ? _agents.Values.First() : throw new InvalidOperationException("This server runs in fleet mode.");
}
