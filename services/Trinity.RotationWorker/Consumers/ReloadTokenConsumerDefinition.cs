using MassTransit;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Bus;
using Trinity.Messaging.Contracts;
using Trinity.RotationWorker.Configuration;

namespace Trinity.RotationWorker.Consumers;

public sealed class ReloadTokenConsumerDefinition : ConsumerDefinition<ReloadTokenConsumer>
{
    public ReloadTokenConsumerDefinition(IOptions<RotationWorkerOptions> options)
    {
        Endpoint(e =>
        {
            e.Name = EntityNames.Queues.RotationWorker;
            e.PrefetchCount = options.Value.Concurrency;
            e.ConcurrentMessageLimit = options.Value.Concurrency;
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReloadTokenConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry => retry.UseTrinityRetry());
        // What the worker says goes out only when the call's outcome is settled.
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
