using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>A subscription failed and no viable alternative exists; the agent stays where it is.</summary>
[EntityName("trinity.agent-subscriptions-exhausted")]
[MessageUrn("trinity:agent-subscriptions-exhausted")]
public sealed record AgentSubscriptionsExhausted
{
    public required string AgentName { get; init; }
    public required Guid FailedSubscriptionId { get; init; }
}
