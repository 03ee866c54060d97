using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

[EntityName("trinity.agent-container-started")]
[MessageUrn("trinity:agent-container-started")]
public sealed record AgentContainerStarted
{
    public required string AgentName { get; init; }
    public required string ContainerId { get; init; }
}
