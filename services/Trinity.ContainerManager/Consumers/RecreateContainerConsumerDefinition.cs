using MassTransit;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class RecreateContainerConsumerDefinition : ConsumerDefinition<RecreateContainerConsumer>
{
    public RecreateContainerConsumerDefinition(IOptions<ContainerManagerOptions> options)
    {
        Endpoint(e => e.Name = EntityNames.Queues.ContainerManagerOf(options.Value.Host));
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<RecreateContainerConsumer> consumerConfigurator,
        IRegistrationContext context) => endpointConfigurator.ConfigureManagerEndpoint(context);
}
