using MassTransit;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Locking;

namespace Trinity.ContainerManager.Consumers;

public static class ContainerManagerEndpoints
{
    /// <summary>
    /// Every manager endpoint waits (for minutes) while another actor holds the agent's lease, retries other
    /// transient faults briefly, and answers only once the container is settled.
    /// </summary>
    public static void ConfigureManagerEndpoint(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<AgentLeaseUnavailableException>();
            retry.Exponential(60, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500));
        });
        endpoint.UseMessageRetry(retry =>
        {
            retry.UseTrinityRetry();
            retry.Ignore<AgentLeaseUnavailableException>();
        });
        endpoint.UseInMemoryOutbox(context);
    }
}
