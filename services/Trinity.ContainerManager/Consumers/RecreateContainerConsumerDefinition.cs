using MassTransit;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class RecreateContainerConsumerDefinition : ConsumerDefinition<RecreateContainerConsumer>
{
    public RecreateContainerConsumerDefinition()
    {
        Endpoint(e => e.Name = EntityNames.Queues.ContainerManager);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<RecreateContainerConsumer> consumerConfigurator,
        IRegistrationContext context) => endpointConfigurator.ConfigureManagerEndpoint(context);
}
