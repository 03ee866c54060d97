using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts;

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
        IRegistrationContext context)
    {
        // A lease held by another actor, or Redis unreachable: wait, for minutes if need be — safety over
        // liveness, and nothing is dropped to _error while Redis restarts.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Handle<AgentLeaseUnavailableException>();
            retry.Handle<RedisException>();
            retry.Handle<RedisTimeoutException>();
            retry.Exponential(60, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        });
        // Conflicts between replicas (a concurrent insert of the same agent, a serialization failure) are
        // retried in process; the transaction is rolled back before each retry.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.UseTrinityRetry();
            retry.Ignore<AgentLeaseUnavailableException>();
            retry.Ignore<RedisException>();
            retry.Ignore<RedisTimeoutException>();
        });
    }
}
