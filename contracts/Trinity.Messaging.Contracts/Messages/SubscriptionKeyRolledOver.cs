using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>A subscription got a new token; every agent on it must pick it up. The token itself stays in the database.</summary>
[EntityName("trinity.subscription-key-rolled-over")]
[MessageUrn("trinity:subscription-key-rolled-over")]
public sealed record SubscriptionKeyRolledOver
{
    public required Guid SubscriptionId { get; init; }
    public required int KeyVersion { get; init; }
}
