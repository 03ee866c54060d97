using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// An authentication failure of the subscription's current key disabled it: every agent on it moves off, as on
/// removal, until its key is rolled over or an operator enables it again.
/// </summary>
[EntityName("trinity.subscription-disabled")]
[MessageUrn("trinity:subscription-disabled")]
public sealed record SubscriptionDisabled
{
    public required Guid SubscriptionId { get; init; }

    /// <summary>The failure report that disabled it.</summary>
    public required Guid FailureId { get; init; }
}
