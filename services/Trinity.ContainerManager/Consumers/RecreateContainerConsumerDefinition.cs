using MassTransit;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Locking;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class RecreateContainerConsumerDefinition : ConsumerDefinition<RecreateContainerConsumer>
{
    public RecreateContainerConsumerDefinition()
    {
        Endpoint(e => e.Name = EntityNames.Queues.ContainerManager);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<RecreateContainerConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Handle<AgentLeaseUnavailableException>();
            retry.Exponential(60, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
        });
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.UseTrinityRetry();
            retry.Ignore<AgentLeaseUnavailableException>();
        });
        // The answer goes out only once the container is settled.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
