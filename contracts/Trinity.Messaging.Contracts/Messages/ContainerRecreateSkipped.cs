using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>No running container to recreate: the next start bakes the database's token.</summary>
[EntityName("trinity.container-recreate-skipped")]
[MessageUrn("trinity:container-recreate-skipped")]
public sealed record ContainerRecreateSkipped
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required RecreateSkipReason Reason { get; init; }
}
