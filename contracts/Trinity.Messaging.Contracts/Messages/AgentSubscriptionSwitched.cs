using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>Published once per switch, when the rotation has its outcome.</summary>
[EntityName("trinity.agent-subscription-switched")]
[MessageUrn("trinity:agent-subscription-switched")]
public sealed record AgentSubscriptionSwitched
{
    public required string AgentName { get; init; }
    public Guid? From { get; init; }
    public Guid? To { get; init; }
    public required SwitchTrigger Trigger { get; init; }
    public required SwitchMethod Method { get; init; }
    public required Guid RotationId { get; init; }
}
