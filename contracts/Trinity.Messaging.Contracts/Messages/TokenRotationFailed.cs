using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

[EntityName("trinity.token-rotation-failed")]
[MessageUrn("trinity:token-rotation-failed")]
public sealed record TokenRotationFailed
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required RotationFailureReason Reason { get; init; }

    /// <summary>For operators; never contains a token.</summary>
    public string? Detail { get; init; }
}
