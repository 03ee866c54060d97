using MassTransit;
using Trinity.Infrastructure.Bus;
using Trinity.Messaging.Contracts;

namespace Trinity.RotationWorker.Consumers;

public sealed class ReloadTokenConsumerDefinition : ConsumerDefinition<ReloadTokenConsumer>
{
    public ReloadTokenConsumerDefinition()
    {
        Endpoint(e => e.Name = EntityNames.Queues.RotationWorker);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReloadTokenConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.UseTrinityRetry());
        // What the worker says goes out only when the call's outcome is settled.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
