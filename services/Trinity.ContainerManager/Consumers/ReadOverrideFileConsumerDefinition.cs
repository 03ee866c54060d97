using MassTransit;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Messaging.Contracts;

namespace Trinity.ContainerManager.Consumers;

public sealed class ReadOverrideFileConsumerDefinition : ConsumerDefinition<ReadOverrideFileConsumer>
{
    public ReadOverrideFileConsumerDefinition(IOptions<ContainerManagerOptions> options)
    {
        // The reads' queue: a read takes milliseconds and must not wait behind a recreate's drain.
        Endpoint(e => e.Name = EntityNames.Queues.ContainerReadsOf(options.Value.Host));
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReadOverrideFileConsumer> consumerConfigurator,
        IRegistrationContext context) => consumerConfigurator.UseMessageRetry(r => r.Interval(3, TimeSpan.FromMilliseconds(200)));
}
