using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>The agent was deleted: drain its container, then stop and remove it, under the agent's lease and fence.</summary>
[EntityName("trinity.remove-agent-container")]
[MessageUrn("trinity:remove-agent-container")]
public sealed record RemoveAgentContainer
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required TimeSpan DrainTimeout { get; init; }
    public required long FencingToken { get; init; }
}
