using MassTransit;
using Microsoft.Extensions.Logging;
using Trinity.ContainerManager.Services;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Consumers;

/// <summary>Answers the API's adoption request with what the running containers hold — fingerprints, never tokens. Changes nothing.</summary>
public sealed class DescribeAgentContainersConsumer(AdoptableContainers adoptable, ILogger<DescribeAgentContainersConsumer> logger) : IConsumer<DescribeAgentContainers>
{
    public async Task Consume(ConsumeContext<DescribeAgentContainers> context)
    {
        var (found, notFound) = await adoptable.DescribeAsync(context.Message.Names, context.Message.Label, context.CancellationToken);
        logger.LogInformation("Described {Count} containers for adoption ({Label}); {Missing} names match none", found.Count, context.Message.Label ?? "by name", notFound.Count);
        await context.RespondAsync(new AgentContainersDescribed { Containers = found, NotFound = notFound });
    }
}
