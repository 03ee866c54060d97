using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// The container manager's answer to <see cref="ReadOverrideFile"/>: the fingerprint of the token the agent's override
/// file holds, or null with the reason when there is none to read (no container, no file, an empty one). Never the token.
/// </summary>
[EntityName("trinity.override-file-read")]
[MessageUrn("trinity:override-file-read")]
public sealed record OverrideFileRead
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public string? TokenFingerprint { get; init; }
    public string? Detail { get; init; }
}
