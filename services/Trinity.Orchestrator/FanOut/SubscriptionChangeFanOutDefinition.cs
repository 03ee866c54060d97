using MassTransit;
using Trinity.Infrastructure.Bus;
using Trinity.Messaging.Contracts;

namespace Trinity.Orchestrator.FanOut;

public sealed class SubscriptionChangeFanOutDefinition : ConsumerDefinition<SubscriptionChangeFanOut>
{
    public SubscriptionChangeFanOutDefinition()
    {
        Endpoint(e => e.Name = EntityNames.Queues.SubscriptionChanges);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<SubscriptionChangeFanOut> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(retry => retry.UseTrinityRetry());
}
