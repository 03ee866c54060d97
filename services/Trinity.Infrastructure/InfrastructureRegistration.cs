using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Trinity.Hosting.Endpoints;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Secrets;

namespace Trinity.Infrastructure;

/// <summary>The parts of the system a service chooses from: the database, the secrets key, the outbox, the agent lease.</summary>
public static class InfrastructureRegistration
{
    public static IServiceCollection AddTrinityDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgresql", tags: [ServiceEndpoints.ReadyTag]);
        return services.AddTrinityPersistence(configuration);
    }

    /// <summary>
    /// The key that decrypts tokens and control keys, for the services that use them (worker, container
    /// manager, API) and no others: the Orchestrator decides with fingerprints and never holds the key.
    /// </summary>
    public static IServiceCollection AddTrinitySecrets(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EncryptionOptions>().Bind(configuration.GetSection(EncryptionOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SecretCipher>();
        return services;
    }

    /// <summary>The transactional outbox and its relay, for services that change state and publish.</summary>
    public static IServiceCollection AddTrinityOutbox(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OutboxOptions>().Bind(configuration.GetSection(OutboxOptions.Section));
        services.AddSingleton<OutboxDispatcher>();
        services.AddScoped(provider => new OutboxWriter(
            provider.GetRequiredService<TrinityDbContext>(), provider.GetRequiredService<OutboxDispatcher>(), provider.GetRequiredService<TimeProvider>()));
        services.AddHostedService<OutboxRelay>();
        return services;
    }

    public static IServiceCollection AddTrinityAgentLease(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RedisOptions>().Bind(configuration.GetSection(RedisOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IConnectionMultiplexer>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<RedisOptions>>().Value;
            var redis = ConfigurationOptions.Parse(options.Endpoint);
            redis.Password = options.Password;
            // Redis down must not stop the service from starting: rotations wait (safety over liveness).
            redis.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(redis);
        });
        services.AddSingleton<AgentLease>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [ServiceEndpoints.ReadyTag]);
        return services;
    }
}
