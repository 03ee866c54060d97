using Trinity.AgentProtocol;
using Docker.DotNet;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.ContainerManager.Consumers;
using Trinity.ContainerManager.Services;
using Trinity.Infrastructure.AgentNetwork;
using Trinity.Infrastructure.Placement;

namespace Trinity.ContainerManager;

public static class ContainerManagerRegistration
{
    public static IServiceCollection AddContainerManager(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddTrinityDockerHosts(configuration);
        services.AddOptions<ContainerManagerOptions>().Bind(configuration.GetSection(ContainerManagerOptions.Section))
            .Validate<DockerHosts>((o, hosts) => hosts.Find(o.Host)?.Name == o.Host,
                $"{ContainerManagerOptions.Section}:Host must be one name of Trinity:DockerHosts (default: local): the host this manager serves.")
            .ValidateOnStart();
        services.AddSingleton<IDockerClient>(provider =>
            new DockerClientConfiguration(new Uri(provider.GetRequiredService<IOptions<ContainerManagerOptions>>().Value.DockerEndpoint)).CreateClient());
        services.AddTrinityAgentNetwork(configuration)
            .AddHttpClient<AgentProtocolClient>((provider, http) => http.Timeout = provider.GetRequiredService<IOptions<ContainerManagerOptions>>().Value.AgentCallTimeout)
            .CallsAgentsOnly();
        services.AddScoped<AgentPlacements>();
        services.AddScoped<DockerAgentContainers>();
        services.AddScoped<AgentDrain>();
        services.AddScoped<RecreateJournal>();
        services.AddScoped<AgentRecreate>();
        services.AddScoped<AgentStart>();
        services.AddScoped<AgentRemoval>();
        services.AddScoped<AgentMove>();
        services.AddScoped<AdoptableContainers>();
        return services;
    }

    public static void AddContainerManagerEndpoints(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RecreateContainerConsumer, RecreateContainerConsumerDefinition>();
        bus.AddConsumer<StartAgentContainerConsumer, StartAgentContainerConsumerDefinition>();
        bus.AddConsumer<RemoveAgentContainerConsumer, RemoveAgentContainerConsumerDefinition>();
        bus.AddConsumer<MoveAgentContainerConsumer, MoveAgentContainerConsumerDefinition>();
        bus.AddConsumer<ReadOverrideFileConsumer, ReadOverrideFileConsumerDefinition>();
        bus.AddConsumer<DescribeAgentContainersConsumer, DescribeAgentContainersConsumerDefinition>();
    }
}
