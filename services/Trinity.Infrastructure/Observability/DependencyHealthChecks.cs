using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Infrastructure.Observability;

/// <summary>PostgreSQL answers a query.</summary>
public sealed class PostgresHealthCheck(TrinityDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("PostgreSQL does not answer.");
}

/// <summary>Redis answers a PING (without it no rotation can take an agent's lease).</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (RedisException)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer.");
        }
    }
}
