using MassTransit;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts;
using Trinity.Orchestrator.Configuration;

namespace Trinity.Orchestrator.StateMachines;

public sealed class AgentCredentialStateDefinition : SagaDefinition<AgentCredentialState>
{
    public AgentCredentialStateDefinition(IOptions<OrchestratorOptions> options)
    {
        // Events of different agents run side by side; one agent's events serialize on its row (FOR UPDATE).
        Endpoint(e =>
        {
            e.Name = EntityNames.Queues.AgentCredentials;
            e.PrefetchCount = options.Value.StateMachineConcurrency;
            e.ConcurrentMessageLimit = options.Value.StateMachineConcurrency;
        });
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<AgentCredentialState> sagaConfigurator,
        IRegistrationContext context) =>
        // A lease held by another actor or Redis unreachable waits; conflicts between replicas (a concurrent insert
        // of the same agent, a serialization failure) are retried, the transaction rolled back before each retry.
        endpointConfigurator.UseLeaseWaitRetry();
}
