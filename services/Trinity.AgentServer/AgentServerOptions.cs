namespace Trinity.AgentServer;

/// <summary>Section <c>Trinity:Agent</c>.</summary>
public sealed class AgentServerOptions
{
    public const string Section = "Trinity:Agent";

    /// <summary>
    /// The durable override written on every reload. In the container's writable layer, never on the workspace
    /// volume: a stop/start keeps it, a recreate drops it and the database's baked token wins again.
    /// </summary>
    public string OverrideFile { get; set; } = "/var/lib/trinity/oauth-token";
}
