using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// The agent answered the reload; <see cref="TokenFingerprint"/> is the fingerprint it reports it now runs, or null
/// when it does not say (a reference agent): never a mismatch, the state machine verifies it another way.
/// </summary>
[EntityName("trinity.token-reloaded")]
[MessageUrn("trinity:token-reloaded")]
public sealed record TokenReloaded
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public string? TokenFingerprint { get; init; }
}
