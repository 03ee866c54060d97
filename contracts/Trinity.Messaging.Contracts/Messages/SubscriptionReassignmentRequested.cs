using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

[EntityName("trinity.subscription-reassignment-requested")]
[MessageUrn("trinity:subscription-reassignment-requested")]
public sealed record SubscriptionReassignmentRequested
{
    public required Guid RequestId { get; init; }
    public required string AgentName { get; init; }

    /// <summary>Null leaves subscription mode.</summary>
    public Guid? SubscriptionId { get; init; }

    public required string RequestedBy { get; init; }
}
