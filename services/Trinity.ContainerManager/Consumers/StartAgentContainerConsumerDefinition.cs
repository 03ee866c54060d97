using MassTransit;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class StartAgentContainerConsumerDefinition : ConsumerDefinition<StartAgentContainerConsumer>
{
    public StartAgentContainerConsumerDefinition()
    {
        // Its own queue on the same manager, so a start never waits behind a long drain.
        Endpoint(e => e.Name = EntityNames.Queues.ContainerStarts);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<StartAgentContainerConsumer> consumerConfigurator,
        IRegistrationContext context) => endpointConfigurator.ConfigureManagerEndpoint(context);
}
