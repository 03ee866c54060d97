using MassTransit;
using Trinity.Infrastructure.Bus;

namespace Trinity.ContainerManager.Consumers;

public static class ContainerManagerEndpoints
{
    /// <summary>
    /// Every manager endpoint waits (for minutes) while another actor holds the agent's lease, retries other
    /// transient faults briefly, and answers only once the container is settled.
    /// </summary>
    public static void ConfigureManagerEndpoint(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        endpoint.UseLeaseWaitRetry();
        endpoint.UseInMemoryOutbox(context);
    }
}
