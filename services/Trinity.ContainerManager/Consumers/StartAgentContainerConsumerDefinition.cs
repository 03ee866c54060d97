using MassTransit;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class StartAgentContainerConsumerDefinition : ConsumerDefinition<StartAgentContainerConsumer>
{
    public StartAgentContainerConsumerDefinition(IOptions<ContainerManagerOptions> options)
    {
        // Its own queue on the same manager, so a start never waits behind a long drain.
        Endpoint(e => e.Name = EntityNames.Queues.ContainerStartsOf(options.Value.Host));
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<StartAgentContainerConsumer> consumerConfigurator,
        IRegistrationContext context) => endpointConfigurator.ConfigureManagerEndpoint(context);
}
