using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// To the container manager: read the agent's override file (<c>/var/lib/trinity/oauth-token</c>) back through the
/// Docker API and answer with its fingerprint only, for a reload the agent acknowledged without saying what it runs.
/// </summary>
[EntityName("trinity.read-override-file")]
[MessageUrn("trinity:read-override-file")]
public sealed record ReadOverrideFile
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
}
