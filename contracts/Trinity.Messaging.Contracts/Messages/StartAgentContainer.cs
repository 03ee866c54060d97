using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

[EntityName("trinity.start-agent-container")]
[MessageUrn("trinity:start-agent-container")]
public sealed record StartAgentContainer
{
    public required string AgentName { get; init; }
}
