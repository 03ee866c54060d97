using MassTransit;
using MassTransit.Serialization;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Bus;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Orchestrator.Configuration;

namespace Trinity.Orchestrator.Intake;

public sealed class FailureIntakeConsumerDefinition : ConsumerDefinition<FailureIntakeConsumer>
{
    public FailureIntakeConsumerDefinition(IOptions<OrchestratorOptions> options)
    {
        // Many reports held at once: they are recorded together, one transaction per group (FailureIntake).
        Endpoint(e =>
        {
            e.Name = EntityNames.Queues.FailureIntake;
            e.PrefetchCount = options.Value.IntakeConcurrency;
            e.ConcurrentMessageLimit = options.Value.IntakeConcurrency;
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<FailureIntakeConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Producers in any language publish plain JSON (content type application/json, or none at all) to the
        // intake exchange; MassTransit producers send their usual envelope. Both are accepted here.
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.UseTrinityRetry();
            // Bad input is not transient: straight to _error with the reason.
            retry.Ignore<RejectedFailureReportException>();
            retry.Ignore<InvalidAgentNameException>();
        });
    }
}
