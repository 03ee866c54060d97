using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>The agent answered the reload; <see cref="TokenFingerprint"/> is what it reports live, read back after the call.</summary>
[EntityName("trinity.token-reloaded")]
[MessageUrn("trinity:token-reloaded")]
public sealed record TokenReloaded
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required string TokenFingerprint { get; init; }
}
