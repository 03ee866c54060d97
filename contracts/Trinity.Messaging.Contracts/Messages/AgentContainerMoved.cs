using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>The agent left <see cref="FromHost"/>: its container there is gone, its volume kept, and its start on <see cref="ToHost"/> is sent.</summary>
[EntityName("trinity.agent-container-moved")]
[MessageUrn("trinity:agent-container-moved")]
public sealed record AgentContainerMoved
{
    public required Guid RequestId { get; init; }
    public required string AgentName { get; init; }
    public required string FromHost { get; init; }
    public required string ToHost { get; init; }

    /// <summary>Where it answers on its new host.</summary>
    public required string BaseUrl { get; init; }

    /// <summary>The container removed from the old host; null when it had none there.</summary>
    public string? OldContainerId { get; init; }

    /// <summary>The workspace volume left on the old host, as the old container mounted it; null when there was none.</summary>
    public string? WorkspaceVolumeLeftBehind { get; init; }

    public required int TurnsOutlivingDrain { get; init; }
    public bool Drained { get; init; } = true;
}
