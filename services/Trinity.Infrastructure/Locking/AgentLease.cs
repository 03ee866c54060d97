using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Trinity.Infrastructure.Configuration;

namespace Trinity.Infrastructure.Locking;

/// <summary>
/// The per-agent lease in Redis: <c>SET {prefix}agent-lock:{agent} {rotationId} NX PX {ttl}</c>. It is the
/// contract for anything that changes an agent's credentials or container. Release and extend act only when
/// the caller still owns the lease (compare-and-delete / compare-and-extend). Redis keeps nothing on disk
/// here, so the lease is never a fence: the fencing token lives in PostgreSQL.
/// </summary>
public sealed class AgentLease(IConnectionMultiplexer redis, IOptions<RedisOptions> options, ILogger<AgentLease> logger)
{
    readonly string _prefix = options.Value.KeyPrefix;

    public RedisKey KeyFor(string agentName) => $"{_prefix}agent-lock:{agentName}";

    /// <summary>Takes the lease for <paramref name="owner"/>; true also when <paramref name="owner"/> already holds it (a retried message).</summary>
    public async Task<bool> TryAcquireAsync(string agentName, Guid owner, TimeSpan ttl)
    {
        var db = redis.GetDatabase();
        var key = KeyFor(agentName);
        if (await db.LockTakeAsync(key, owner.ToString(), ttl))
            return true;
        if (await db.LockQueryAsync(key) == owner.ToString())
            return await db.LockExtendAsync(key, owner.ToString(), ttl);
        return false;
    }

    public async Task<Guid?> OwnerAsync(string agentName)
    {
        var value = await redis.GetDatabase().LockQueryAsync(KeyFor(agentName));
        return Guid.TryParse(value.ToString(), out var owner) ? owner : null;
    }

    /// <summary>How long the lease still has, if <paramref name="owner"/> holds it.</summary>
    public async Task<TimeSpan?> RemainingForAsync(string agentName, Guid owner)
    {
        var db = redis.GetDatabase();
        var key = KeyFor(agentName);
        if (await db.LockQueryAsync(key) != owner.ToString())
            return null;
        return await db.KeyTimeToLiveAsync(key);
    }

    public Task<bool> ExtendAsync(string agentName, Guid owner, TimeSpan ttl) =>
        redis.GetDatabase().LockExtendAsync(KeyFor(agentName), owner.ToString(), ttl);

    public async Task<bool> ReleaseAsync(string agentName, Guid owner)
    {
        var released = await redis.GetDatabase().LockReleaseAsync(KeyFor(agentName), owner.ToString());
        if (!released)
            logger.LogInformation("Lease of agent {AgentName} was no longer held by rotation {RotationId} at release", agentName, owner);
        return released;
    }
}

/// <summary>Another actor holds the agent's lease; the message is retried until it is released or expires.</summary>
public sealed class AgentLeaseUnavailableException(string agentName, Guid? holder)
    : Exception($"The lease of agent '{agentName}' is held by {holder?.ToString() ?? "another actor"}; retrying later.");
