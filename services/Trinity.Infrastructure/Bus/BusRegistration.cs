using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Trinity.Hosting.Faults;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Placement;

namespace Trinity.Infrastructure.Bus;

public static class BusRegistration
{
    /// <summary>
    /// MassTransit on RabbitMQ from <c>Trinity:RabbitMq</c>. Exchange names come from the contracts'
    /// <c>[EntityName]</c> and queue names from each endpoint's definition: nothing is derived from a C#
    /// namespace. The host waits for every receive endpoint before it reports started.
    /// </summary>
    public static IServiceCollection AddTrinityBus(this IServiceCollection services, IConfiguration configuration,
        Action<IBusRegistrationConfigurator> register)
    {
        services.AddOptions<RabbitMqOptions>().Bind(configuration.GetSection(RabbitMqOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.Configure<MassTransitHostOptions>(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(60);
            options.StopTimeout = TimeSpan.FromSeconds(30);
        });

        // Before MassTransit's own hosted service: hosted services start in the order they were added.
        services.AddTrinityDockerHosts(configuration);
        services.AddHostedService<CommandQueues>();
        services.AddMassTransit(bus =>
        {
            register(bus);
            bus.AddConfigureEndpointsCallback((context, _, endpoint) =>
            {
                endpoint.UseTokenFreeErrorQueue();
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                    rabbit.UseQuorumQueue(context.GetRequiredService<IOptions<RabbitMqOptions>>().Value);
            });
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                rabbit.Host(options.Host, (ushort)options.Port, options.VirtualHost, ConnectionName(), host =>
                {
                    host.Username(options.Username);
                    host.Password(options.Password);
                    host.PublisherConfirmation = true;
                    if (!string.IsNullOrWhiteSpace(options.Nodes))
                        host.UseCluster(cluster =>
                        {
                            foreach (var (nodeHost, nodePort) in options.Endpoints())
                                cluster.Node($"{nodeHost}:{nodePort}");
                        });
                });
                rabbit.ConfigureEndpoints(context);
            });
        });
        return services;
    }

    /// <summary>
    /// What the management UI shows for this process's connection: the service, the machine and the process id
    /// (<c>Trinity.RotationWorker@node-2:4711</c>), so an operator can tell two replicas apart and close one's.
    /// </summary>
    public static string ConnectionName() =>
        $"{System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "trinity"}@{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>The retry every endpoint uses for transient faults: a conflict in PostgreSQL, a blip of the network.</summary>
    public static void UseTrinityRetry(this IRetryConfigurator retry)
    {
        retry.Intervals(50, 100, 250, 500, 1000, 2000, 3000, 5000, 5000, 5000);
        // A fault a test injected stands for one that lasts past any retry.
        retry.Ignore<InjectedFaultException>();
        retry.Ignore<DeliveryLimitExceededException>();
    }

    /// <summary>
    /// For endpoints that take an agent's lease (the state machine, the container manager): while another actor
    /// holds it, or Redis does not answer, the message waits — for minutes if need be, safety over liveness, and
    /// nothing is dropped to <c>_error</c> while Redis restarts. Other transient faults get <see cref="UseTrinityRetry"/>.
    /// </summary>
    public static void UseLeaseWaitRetry(this IReceiveEndpointConfigurator endpoint)
    {
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<AgentLeaseUnavailableException>();
            retry.Handle<RedisException>();
            retry.Handle<RedisTimeoutException>();
            retry.Exponential(60, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        });
        // The transaction is rolled back before each retry.
        endpoint.UseMessageRetry(retry =>
        {
            retry.UseTrinityRetry();
            retry.Ignore<AgentLeaseUnavailableException>();
            retry.Ignore<RedisException>();
            retry.Ignore<RedisTimeoutException>();
        });
    }
}
