using MassTransit;
using Trinity.Messaging.Contracts.Containers;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>The answer to <see cref="DescribeAgentContainers"/>: the containers found, and the names given that match none.</summary>
[EntityName("trinity.agent-containers-described")]
[MessageUrn("trinity:agent-containers-described")]
public sealed record AgentContainersDescribed
{
    public IReadOnlyList<DescribedAgentContainer> Containers { get; init; } = [];
    public IReadOnlyList<string> NotFound { get; init; } = [];
}
