using MassTransit;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class RemoveAgentContainerConsumerDefinition : ConsumerDefinition<RemoveAgentContainerConsumer>
{
    public RemoveAgentContainerConsumerDefinition(IOptions<ContainerManagerOptions> options)
    {
        // Its own queue, so the removals of deleted agents show apart from recreates in the management UI.
        Endpoint(e => e.Name = EntityNames.Queues.ContainerRemovalsOf(options.Value.Host));
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<RemoveAgentContainerConsumer> consumerConfigurator,
        IRegistrationContext context) => endpointConfigurator.ConfigureManagerEndpoint(context);
}
