using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Trinity.AgentProtocol;
using Trinity.Infrastructure.AgentNetwork;
using Trinity.RotationWorker.Configuration;
using Trinity.RotationWorker.Consumers;
using Trinity.RotationWorker.Services;

namespace Trinity.RotationWorker;

public static class RotationWorkerRegistration
{
    public static IServiceCollection AddRotationWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RotationWorkerOptions>().Bind(configuration.GetSection(RotationWorkerOptions.Section));
        // Timeouts are per call (AgentEndpointClient), not the client's.
        services.AddTrinityAgentNetwork(configuration)
            .AddHttpClient<AgentProtocolClient>(http => http.Timeout = Timeout.InfiniteTimeSpan).CallsAgentsOnly();
        services.AddTransient<AgentEndpointClient>();
        return services;
    }

    public static void AddRotationWorkerEndpoints(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<ReloadTokenConsumer, ReloadTokenConsumerDefinition>();
}
