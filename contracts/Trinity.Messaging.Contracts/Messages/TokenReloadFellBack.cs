using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>The worker could not hot-reload and sent a <see cref="RecreateContainer"/> instead.</summary>
[EntityName("trinity.token-reload-fell-back")]
[MessageUrn("trinity:token-reload-fell-back")]
public sealed record TokenReloadFellBack
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required FallbackReason Reason { get; init; }

    /// <summary>The drain timeout of the recreate the worker sent, so the saga waits under the recreate's deadline.</summary>
    public required TimeSpan DrainTimeout { get; init; }
}
