using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.ContainerManager.Services;

/// <summary>
/// The auth variables of an agent's container, rewritten from the database for its mode. The CLI prefers the
/// API key, so the two never coexist: subscription mode sets the token and removes the key; api-key mode the
/// reverse; neither removes both (so does a subscription whose token is gone). The agent's current fence goes in
/// too. Every other variable of the container is kept as it was.
/// </summary>
public static class AgentEnvironment
{
    public const string TokenVariable = "CLAUDE_CODE_OAUTH_TOKEN";
    public const string ApiKeyVariable = "ANTHROPIC_API_KEY";
    public const string ControlKeyVariable = "TRINITY_AGENT_CONTROL_KEY";
    public const string FenceVariable = "TRINITY_AGENT_FENCE";

    public static List<string> Rewrite(IEnumerable<string> current, Agent agent, string? token, string? platformApiKey, string controlKey)
    {
        var kept = WithFence([.. current.Where(entry => Name(entry) is not (TokenVariable or ApiKeyVariable or ControlKeyVariable)), $"{ControlKeyVariable}={controlKey}"],
            agent.FencingToken);
        if (agent.SubscriptionId is not null)
        {
            if (token is not null)
                kept.Add($"{TokenVariable}={token}");
        }
        else if (agent.UseApiKey)
            kept.Add($"{ApiKeyVariable}={platformApiKey ?? throw new InvalidOperationException($"Agent {agent.Name} uses the platform API key, but Trinity:ContainerManager:PlatformApiKey is not configured.")}");
        return kept;
    }

    /// <summary>
    /// The agent refuses a reload older than the fence it accepted, which it keeps in its writable layer: every
    /// container created or started again carries the agent's current fence, so no recreate resets it.
    /// </summary>
    public static List<string> WithFence(IEnumerable<string> current, long fence) =>
        [.. current.Where(entry => Name(entry) != FenceVariable), $"{FenceVariable}={fence.ToString(System.Globalization.CultureInfo.InvariantCulture)}"];

    static string Name(string entry) => entry.Split('=', 2)[0];
}
