using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.ContainerManager.Services;

/// <summary>
/// The auth variables of an agent's container, rewritten from the database for its mode. The CLI prefers the
/// API key, so the two never coexist: subscription mode sets the token and removes the key; api-key mode the
/// reverse; neither removes both (so does a subscription whose token is gone). Every other variable of the
/// container is kept as it was.
/// </summary>
public static class AgentEnvironment
{
    public const string TokenVariable = "CLAUDE_CODE_OAUTH_TOKEN";
    public const string ApiKeyVariable = "ANTHROPIC_API_KEY";
    public const string ControlKeyVariable = "TRINITY_AGENT_CONTROL_KEY";

    public static List<string> Rewrite(IEnumerable<string> current, Agent agent, string? token, string? platformApiKey, string controlKey)
    {
        var kept = current.Where(entry => Name(entry) is not (TokenVariable or ApiKeyVariable or ControlKeyVariable)).ToList();
        kept.Add($"{ControlKeyVariable}={controlKey}");
        if (agent.SubscriptionId is not null)
        {
            if (token is not null)
                kept.Add($"{TokenVariable}={token}");
        }
        else if (agent.UseApiKey)
            kept.Add($"{ApiKeyVariable}={platformApiKey ?? throw new InvalidOperationException($"Agent {agent.Name} uses the platform API key, but Trinity:ContainerManager:PlatformApiKey is not configured.")}");
        return kept;
    }

    static string Name(string entry) => entry.Split('=', 2)[0];
}
