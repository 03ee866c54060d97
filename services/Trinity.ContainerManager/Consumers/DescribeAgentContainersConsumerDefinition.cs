using MassTransit;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class DescribeAgentContainersConsumerDefinition : ConsumerDefinition<DescribeAgentContainersConsumer>
{
    // Beside the override-file reads: quick, and never behind a recreate's drain.
    public DescribeAgentContainersConsumerDefinition(IOptions<ContainerManagerOptions> options) => Endpoint(e => e.Name = EntityNames.Queues.ContainerReadsOf(options.Value.Host));
}
