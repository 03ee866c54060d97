using MassTransit;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class DescribeAgentContainersConsumerDefinition : ConsumerDefinition<DescribeAgentContainersConsumer>
{
    // Beside the override-file reads: quick, and never behind a recreate's drain.
    public DescribeAgentContainersConsumerDefinition() => Endpoint(e => e.Name = EntityNames.Queues.ContainerReads);
}
