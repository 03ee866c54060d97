using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>Drain, stop and recreate the agent's container with an environment rewritten from the database.</summary>
[EntityName("trinity.recreate-container")]
[MessageUrn("trinity:recreate-container")]
public sealed record RecreateContainer
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required string Reason { get; init; }
    public required TimeSpan DrainTimeout { get; init; }
    public required long FencingToken { get; init; }
}
