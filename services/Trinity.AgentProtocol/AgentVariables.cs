namespace Trinity.AgentProtocol;

/// <summary>The variables an agent's container and its agent server agree on, and the override file's place.</summary>
public static class AgentVariables
{
    /// <summary>The subscription's OAuth token: what a coding-agent CLI turn authenticates with.</summary>
    public const string Token = "CLAUDE_CODE_OAUTH_TOKEN";

    /// <summary>The platform API key; the CLI prefers it over the token, so the two never coexist.</summary>
    public const string ApiKey = "ANTHROPIC_API_KEY";

    /// <summary>The key this system's agent server requires on every route but health (the reference agent has none).</summary>
    public const string ControlKey = "TRINITY_AGENT_CONTROL_KEY";

    /// <summary>The fence the agent starts from: it refuses a reload older than one it accepted.</summary>
    public const string Fence = "TRINITY_AGENT_FENCE";

    /// <summary>
    /// The durable override the reference agent and ours write on every reload, owner-only, in the container's
    /// writable layer: a stop/start keeps it, a recreate drops it.
    /// </summary>
    public const string OverrideFile = "/var/lib/trinity/oauth-token";
}
