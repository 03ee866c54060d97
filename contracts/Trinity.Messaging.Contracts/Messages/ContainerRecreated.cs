using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

[EntityName("trinity.container-recreated")]
[MessageUrn("trinity:container-recreated")]
public sealed record ContainerRecreated
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required string OldContainerId { get; init; }
    public required string NewContainerId { get; init; }

    /// <summary>Turns still running when the drain timeout passed, and so ended by the stop.</summary>
    public required int TurnsOutlivingDrain { get; init; }

    /// <summary>False when the agent could not be drained (an image without the drain route): its turns were not waited for.</summary>
    public bool Drained { get; init; } = true;
}
