using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>A deleted agent's container is gone (or it never had one): no token of it is live in a container this system runs.</summary>
[EntityName("trinity.agent-container-removed")]
[MessageUrn("trinity:agent-container-removed")]
public sealed record AgentContainerRemoved
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }

    /// <summary>The container removed; null when the agent had none (one at a base URL this system does not run).</summary>
    public string? ContainerId { get; init; }

    /// <summary>Turns still running when the drain timeout passed, and so ended by the stop.</summary>
    public required int TurnsOutlivingDrain { get; init; }

    /// <summary>False when the agent could not be drained (not running, or an image without the drain route).</summary>
    public bool Drained { get; init; } = true;
}
