using Trinity.AgentProtocol;

namespace Trinity.AgentServer.Configuration;

/// <summary>Section <c>Trinity:Agent</c>.</summary>
public sealed class AgentServerOptions
{
    public const string Section = "Trinity:Agent";

    /// <summary>
    /// The durable override written on every reload. In the container's writable layer, never on the workspace
    /// volume: a stop/start keeps it, a recreate drops it and the database's baked token wins again.
    /// </summary>
    public string OverrideFile { get; set; } = AgentVariables.OverrideFile;

    /// <summary>
    /// False serves no reload endpoint (404), as an image built before it would: for the fallback tests.
    /// </summary>
    public bool ReloadEndpoint { get; set; } = true;

    /// <summary>
    /// <c>Trinity</c> (this system's agent server) or <c>Reference</c>: the reference platform's endpoint alone, without
    /// a key or a fence, answered without a fingerprint (<c>trinity/agent:reference</c>).
    /// </summary>
    public AgentProtocolFlavour Protocol { get; set; } = AgentProtocolFlavour.Trinity;

    /// <summary>Fleet mode: a JSON file of agents (owner-only); each served under <c>/agents/{name}</c>.</summary>
    public string? FleetFile { get; set; }

    /// <summary>Fleet mode: each agent's override file is <c>{FleetOverrideDirectory}/{name}/oauth-token</c>.</summary>
    public string FleetOverrideDirectory { get; set; } = "/var/lib/trinity/fleet";
}

public enum AgentProtocolFlavour
{
    Trinity,
    Reference,
}
