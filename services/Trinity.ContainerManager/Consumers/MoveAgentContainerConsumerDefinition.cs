using MassTransit;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class MoveAgentContainerConsumerDefinition : ConsumerDefinition<MoveAgentContainerConsumer>
{
    // Beside the recreates, on the host the agent leaves: one at a time with them, and the endpoint's lease wait and
    // outbox (configured by the recreates' definition) are this consumer's too.
    public MoveAgentContainerConsumerDefinition(IOptions<ContainerManagerOptions> options) => Endpoint(e => e.Name = EntityNames.Queues.ContainerManagerOf(options.Value.Host));
}
