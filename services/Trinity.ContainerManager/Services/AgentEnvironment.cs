using Trinity.AgentProtocol;
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
    public static List<string> Rewrite(IEnumerable<string> current, Agent agent, string? token, string? platformApiKey, string controlKey)
    {
        var kept = WithFence([.. current.Where(entry => Name(entry) is not (AgentVariables.Token or AgentVariables.ApiKey or AgentVariables.ControlKey)), $"{AgentVariables.ControlKey}={controlKey}"],
            agent.FencingToken);
        if (agent.SubscriptionId is not null)
        {
            if (token is not null)
                kept.Add($"{AgentVariables.Token}={token}");
        }
        else if (agent.UseApiKey)
            kept.Add($"{AgentVariables.ApiKey}={platformApiKey ?? throw new InvalidOperationException($"Agent {agent.Name} uses the platform API key, but Trinity:ContainerManager:PlatformApiKey is not configured.")}");
        return kept;
    }

    /// <summary>
    /// The agent refuses a reload older than the fence it accepted, which it keeps in its writable layer: every
    /// container created or started again carries the agent's current fence, so no recreate resets it.
    /// </summary>
    public static List<string> WithFence(IEnumerable<string> current, long fence) =>
        [.. current.Where(entry => Name(entry) != AgentVariables.Fence), $"{AgentVariables.Fence}={fence.ToString(System.Globalization.CultureInfo.InvariantCulture)}"];

    static string Name(string entry) => entry.Split('=', 2)[0];
}
