using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>Bring one agent to the database's view: the fan-out of a rollover, removal or disabling, the reconciler, a recheck, a retry, a deletion.</summary>
[EntityName("trinity.agent-token-refresh-requested")]
[MessageUrn("trinity:agent-token-refresh-requested")]
public sealed record AgentTokenRefreshRequested
{
    public required string AgentName { get; init; }
    public required Guid SubscriptionId { get; init; }
    public required int KeyVersion { get; init; }
    public required TokenRefreshReason Reason { get; init; }
    public required Guid CausationId { get; init; }

    /// <summary>A refresh about no subscription in particular: the agent is brought to whatever the database holds for it.</summary>
    public static AgentTokenRefreshRequested ToDatabaseView(string agentName, TokenRefreshReason reason, Guid causationId) => new()
    {
        AgentName = agentName, SubscriptionId = Guid.Empty, KeyVersion = 0, Reason = reason, CausationId = causationId,
    };
}
