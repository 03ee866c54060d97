using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using StackExchange.Redis;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Infrastructure.Secrets;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Xunit;

namespace Trinity.Testing;

/// <summary>
/// The stores of one test class: its own PostgreSQL database (migrated by the real migrator), Redis key prefix and
/// encryption key — dropped at the end; leftovers of runs that died are removed at start. Specs of one class
/// that need no broker use this alone; <see cref="TrinityTestSystem"/> adds the broker and the services.
/// </summary>
public class TrinityTestStores : IAsyncLifetime
{
    protected const string Prefix = "trinity-test-";
    readonly Lazy<Task<ConnectionMultiplexer>> _redis;

    public TrinityTestStores()
    {
        RunId = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        Credentials = LocalCredentials.Load();
        Postgres = PostgresAccess.Shared(Credentials);
        Cipher = new SecretCipher(EncryptionKey);
        LogDirectory = RepositoryPaths.TestLogs($"{GetType().DeclaringType?.Name ?? GetType().Name}-{RunId}");
        // One connection for the class: a renewal that must land every few hundred milliseconds cannot wait for a handshake.
        _redis = new(() => ConnectionMultiplexer.ConnectAsync(RedisConfiguration));
    }

    public string RunId { get; }
    public LocalCredentials Credentials { get; }

    /// <summary>The PostgreSQL server this class's database is on: the shared one, or <see cref="OwnPostgres"/>.</summary>
    public PostgresAccess Postgres { get; private set; }

    /// <summary>A PostgreSQL cluster of this class's own, when <see cref="UseOwnPostgresAsync"/> was called: the one a fault test may restart.</summary>
    public PostgresCluster? OwnPostgres { get; private set; }
    public string DatabaseName => (Prefix + RunId).Replace('-', '_');
    public string RedisKeyPrefix => $"{Prefix}{RunId}:";
    public string EncryptionKey { get; } = SecretCipher.GenerateKey();
    public SecretCipher Cipher { get; }
    public string LogDirectory { get; }

    public string ConnectionString => Connection(DatabaseName);

    public string RedisConfiguration => $"127.0.0.1:6379,password={Credentials.RedisPassword},abortConnect=false";

    /// <summary>
    /// For a test that restarts PostgreSQL: the class's database lives on a cluster of its own, never the shared
    /// server. Call it first in <c>InitializeAsync</c>, before <c>base.InitializeAsync()</c>.
    /// </summary>
    protected async Task UseOwnPostgresAsync()
    {
        OwnPostgres = await PostgresCluster.StartAsync(LogDirectory);
        Postgres = OwnPostgres.Access;
    }

    public virtual async Task InitializeAsync()
    {
        await RemoveLeftoverDatabasesAsync();
        await using (var admin = new NpgsqlConnection(Connection("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var migrator = ServiceProcess.Start("Trinity.Migrator", "migrator",
            new Dictionary<string, string?> { ["Trinity__Postgres__ConnectionString"] = ConnectionString }, LogDirectory);
        await migrator.WaitForExitAsync(TimeSpan.FromSeconds(120));
        if (migrator.ExitCode != 0)
            throw new InvalidOperationException($"The migrator failed ({migrator.ExitCode}):\n{migrator.Tail()}");
    }

    public virtual async Task DisposeAsync()
    {
        try
        {
            if (_redis.IsValueCreated)
                await (await _redis.Value).DisposeAsync();
        }
        finally
        {
            try
            {
                await DropDatabaseAsync(DatabaseName);
            }
            finally
            {
                if (OwnPostgres is not null)
                    await OwnPostgres.DisposeAsync();
            }
        }
    }

    public TrinityDbContext NewDbContext()
    {
        var options = new DbContextOptionsBuilder<TrinityDbContext>();
        PersistenceRegistration.Configure(options, ConnectionString);
        return new TrinityDbContext(options.Options);
    }

    public async Task<Subscription> AddSubscriptionAsync(string name, string token)
    {
        await using var db = NewDbContext();
        var now = DateTimeOffset.UtcNow;
        var subscription = new Subscription
        {
            Id = Guid.NewGuid(),
            Name = name,
            EncryptedToken = Cipher.Encrypt(token),
            TokenFingerprint = TokenFingerprint.Of(token),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Subscriptions.Add(subscription);
        db.SubscriptionKeys.Add(new SubscriptionKey { SubscriptionId = subscription.Id, KeyVersion = 1, TokenFingerprint = subscription.TokenFingerprint, CreatedAt = now });
        await db.SaveChangesAsync();
        return subscription;
    }

    public async Task RegisterAgentAsync(string agentName, Guid? subscriptionId, string? baseUrl, string? controlKey, string? containerId = null,
        string dockerHost = DockerHostName.Local)
    {
        await using var db = NewDbContext();
        var now = DateTimeOffset.UtcNow;
        db.Agents.Add(new Agent
        {
            Name = agentName,
            SubscriptionId = subscriptionId,
            BaseUrl = baseUrl,
            EncryptedControlKey = controlKey is null ? null : Cipher.Encrypt(controlKey),
            ContainerId = containerId,
            DockerHost = dockerHost,
            CreatedAt = now,
            UpdatedAt = now,
        });
        await db.SaveChangesAsync();
    }

    public static ReportSubscriptionFailure Failure(string agentName, Guid subscriptionId, FailureKind kind = FailureKind.RateLimited, int? retryAfterSeconds = null) => new()
    {
        FailureId = Guid.NewGuid(),
        AgentName = agentName,
        SubscriptionId = subscriptionId,
        Kind = kind,
        Source = FailureSource.Chat,
        StatusCode = kind == FailureKind.RateLimited ? 429 : 401,
        RetryAfterSeconds = retryAfterSeconds,
        OccurredAt = DateTimeOffset.UtcNow,
    };

    public async Task<Agent> AgentAsync(string agentName)
    {
        await using var db = NewDbContext();
        return await db.Agents.AsNoTracking().SingleAsync(a => a.Name == agentName);
    }

    /// <summary>The fingerprint of the token the database assigns the agent now: its subscription's current key.</summary>
    public async Task<string?> AssignedFingerprintAsync(string agentName)
    {
        await using var db = NewDbContext();
        var agent = await db.Agents.AsNoTracking().SingleAsync(a => a.Name == agentName);
        return (await db.Subscriptions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == agent.SubscriptionId))?.TokenFingerprint;
    }

    public async Task<AgentCredentialState?> SagaAsync(string agentName)
    {
        await using var db = NewDbContext();
        return await db.AgentCredentialStates.AsNoTracking().SingleOrDefaultAsync(s => s.CorrelationId == AgentIdentity.For(agentName));
    }

    public async Task<List<Rotation>> RotationsAsync(string? agentName = null)
    {
        await using var db = NewDbContext();
        return await db.Rotations.AsNoTracking().Where(r => agentName == null || r.AgentName == agentName).OrderBy(r => r.StartedAt).ToListAsync();
    }

    public async Task<List<FailureRecord>> FailuresAsync()
    {
        await using var db = NewDbContext();
        return await db.Failures.AsNoTracking().ToListAsync();
    }

    public async Task<string?> LeaseOwnerAsync(string agentName)
    {
        var value = await (await _redis.Value).GetDatabase().StringGetAsync(LeaseKey(agentName));
        return value.HasValue ? value.ToString() : null;
    }

    /// <summary>Takes or renews an agent's lease as another actor would (a fleet restart, a container manager at work).</summary>
    public async Task<bool> HoldLeaseAsync(string agentName, string owner, TimeSpan ttl)
    {
        var db = (await _redis.Value).GetDatabase();
        return await db.LockTakeAsync(LeaseKey(agentName), owner, ttl) || await db.LockExtendAsync(LeaseKey(agentName), owner, ttl);
    }

    /// <summary>Takes an agent's lease from whoever holds it, as a newer actor would after a failover lost it.</summary>
    public async Task StealLeaseAsync(string agentName, string owner, TimeSpan ttl)
    {
        var db = (await _redis.Value).GetDatabase();
        await db.KeyDeleteAsync(LeaseKey(agentName));
        await db.LockTakeAsync(LeaseKey(agentName), owner, ttl);
    }

    string LeaseKey(string agentName) => $"{RedisKeyPrefix}agent-lock:{agentName}";

    protected string Connection(string database) =>
        $"Host=127.0.0.1;Port={Postgres.Port};Database={database};Username={Postgres.User};Password={Postgres.Password};SSL Mode=Disable;Include Error Detail=false";

    /// <summary>True for a name made by a run (prefix, then its start time) that started more than an hour ago.</summary>
    protected static bool IsStale(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal)
        && name.Length >= prefix.Length + 14
        && DateTime.TryParseExact(name.AsSpan(prefix.Length, 14), "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var created)
        && created < DateTime.UtcNow.AddHours(-1);

    async Task DropDatabaseAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(Connection("postgres"));
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
        // FORCE may not end a backend of another role: an autovacuum worker on the database refuses the drop (42501)
        // before anything is dropped. It finishes in moments; the drop is tried again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    async Task RemoveLeftoverDatabasesAsync()
    {
        var databases = new List<string>();
        await using (var admin = new NpgsqlConnection(Connection("postgres")))
        {
            await admin.OpenAsync();
            await using var list = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'trinity\\_test\\_%'", admin);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                databases.Add(reader.GetString(0));
        }
        foreach (var database in databases.Where(d => IsStale(d, Prefix.Replace('-', '_'))))
            await DropDatabaseAsync(database);
    }
}
