using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// Hot-reload the agent's token. The worker loads the token from the database at the moment it uses it:
/// this message never carries it.
/// </summary>
[EntityName("trinity.reload-token")]
[MessageUrn("trinity:reload-token")]
public sealed record ReloadToken
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required Guid SubscriptionId { get; init; }
    public required int KeyVersion { get; init; }
    public required long FencingToken { get; init; }
}
