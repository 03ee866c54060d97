using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

[EntityName("trinity.subscription-removed")]
[MessageUrn("trinity:subscription-removed")]
public sealed record SubscriptionRemoved
{
    public required Guid SubscriptionId { get; init; }
}
