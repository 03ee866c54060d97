using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// A request to the container manager, the only Docker user: describe the running containers of these names (with or
/// without the <c>agent-</c> prefix) or with this label (<c>KEY=VALUE</c> or <c>KEY</c>), for adoption. Answered by
/// <see cref="AgentContainersDescribed"/>; nothing is changed.
/// </summary>
[EntityName("trinity.describe-agent-containers")]
[MessageUrn("trinity:describe-agent-containers")]
public sealed record DescribeAgentContainers
{
    public IReadOnlyList<string> Names { get; init; } = [];
    public string? Label { get; init; }
}
