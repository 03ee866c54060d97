using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// An operator moves the agent to another Docker host: the manager of the host it is on drains its container, stops and
/// removes it — its workspace volume stays behind, on that host — places the agent on <see cref="ToHost"/>, under the
/// agent's lease and fence, and has that host's manager start it there from the database's view.
/// </summary>
[EntityName("trinity.move-agent-container")]
[MessageUrn("trinity:move-agent-container")]
public sealed record MoveAgentContainer
{
    public required Guid RequestId { get; init; }
    public required string AgentName { get; init; }
    public required string ToHost { get; init; }
    public required TimeSpan DrainTimeout { get; init; }
}
