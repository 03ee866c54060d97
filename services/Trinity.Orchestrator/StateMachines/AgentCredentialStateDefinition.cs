using MassTransit;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts;

namespace Trinity.Orchestrator.StateMachines;

public sealed class AgentCredentialStateDefinition : SagaDefinition<AgentCredentialState>
{
    public AgentCredentialStateDefinition()
    {
        Endpoint(e => e.Name = EntityNames.Queues.AgentCredentials);
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<AgentCredentialState> sagaConfigurator,
        IRegistrationContext context)
    {
        // Conflicts between replicas (a concurrent insert of the same agent, a serialization failure) and a
        // lease held elsewhere are retried in process; the transaction is rolled back before each retry.
        endpointConfigurator.UseMessageRetry(retry => retry.UseTrinityRetry());
    }
}
