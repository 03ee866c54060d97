using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>The fan-out of a rollover or removal to one agent's state machine.</summary>
[EntityName("trinity.agent-token-refresh-requested")]
[MessageUrn("trinity:agent-token-refresh-requested")]
public sealed record AgentTokenRefreshRequested
{
    public required string AgentName { get; init; }
    public required Guid SubscriptionId { get; init; }
    public required int KeyVersion { get; init; }
    public required TokenRefreshReason Reason { get; init; }
    public required Guid CausationId { get; init; }
}
