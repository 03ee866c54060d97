using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using StackExchange.Redis;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Secrets;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Xunit;

namespace Trinity.Testing;

/// <summary>
/// The real system for one test class: its own RabbitMQ virtual host, PostgreSQL database (migrated by the
/// real migrator), Redis key prefix and encryption key, and the service processes it starts — all stopped
/// and removed at the end. Leftovers of runs that died are removed at start.
/// </summary>
public class TrinityTestSystem : IAsyncLifetime
{
    const string Prefix = "trinity-test-";
    readonly List<ServiceProcess> _processes = [];

    public TrinityTestSystem()
    {
        RunId = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        Credentials = LocalCredentials.Load();
        Management = new RabbitMqManagement(Credentials);
        Cipher = new SecretCipher(EncryptionKey);
        LogDirectory = RepositoryPaths.TestLogs($"{GetType().DeclaringType?.Name ?? GetType().Name}-{RunId}");
    }

    public string RunId { get; }
    public LocalCredentials Credentials { get; }
    public RabbitMqManagement Management { get; }
    public string VirtualHost => Prefix + RunId;
    public string DatabaseName => (Prefix + RunId).Replace('-', '_');
    public string RedisKeyPrefix => $"{Prefix}{RunId}:";
    public string EncryptionKey { get; } = SecretCipher.GenerateKey();
    public SecretCipher Cipher { get; }
    public string LogDirectory { get; }

    public string ConnectionString => Connection(DatabaseName);

    public string RedisConfiguration => $"127.0.0.1:6379,password={Credentials.RedisPassword},abortConnect=false";

    public virtual async Task InitializeAsync()
    {
        await RemoveLeftoversAsync();
        await Management.CreateVirtualHostAsync(VirtualHost);
        await using (var admin = new NpgsqlConnection(Connection("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        await using var migrator = ServiceProcess.Start("Trinity.Migrator", "migrator", ServiceEnvironment(), LogDirectory);
        await migrator.WaitForExitAsync(TimeSpan.FromSeconds(120));
        if (migrator.ExitCode != 0)
            throw new InvalidOperationException($"The migrator failed ({migrator.ExitCode}):\n{migrator.Tail()}");
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var process in _processes)
            await process.DisposeAsync();
        await Management.DeleteVirtualHostAsync(VirtualHost);
        await DropDatabaseAsync(DatabaseName);
        Management.Dispose();
    }

    /// <summary>What every service of this test class is configured with; secrets travel in the environment only.</summary>
    public Dictionary<string, string?> ServiceEnvironment() => new()
    {
        ["Trinity__RabbitMq__VirtualHost"] = VirtualHost,
        ["Trinity__RabbitMq__Username"] = Credentials.RabbitMqUser,
        ["Trinity__RabbitMq__Password"] = Credentials.RabbitMqPassword,
        ["Trinity__Postgres__ConnectionString"] = ConnectionString,
        ["Trinity__Redis__Password"] = Credentials.RedisPassword,
        ["Trinity__Redis__KeyPrefix"] = RedisKeyPrefix,
        ["Trinity__Encryption__Key"] = EncryptionKey,
        ["Serilog__MinimumLevel__Default"] = "Information",
    };

    public ServiceProcess Start(string service, string name, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var environment = ServiceEnvironment();
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            environment[key] = value;
        var process = ServiceProcess.Start(service, name, environment, LogDirectory);
        _processes.Add(process);
        return process;
    }

    public Task<ServiceProcess> StartOrchestratorAsync(string name = "orchestrator", IReadOnlyDictionary<string, string?>? extra = null) =>
        Start("Trinity.Orchestrator", name, extra).WaitUntilStartedAsync();

    /// <summary>The HTTP API on a free loopback port, with a fresh admin key; a client that sends it.</summary>
    public async Task<(ServiceProcess Process, HttpClient Client)> StartApiAsync()
    {
        var port = FreePort.Next();
        var adminKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var process = await Start("Trinity.Api", "api", new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Trinity__Api__AdminKey"] = adminKey,
        }).WaitUntilStartedAsync();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
        return (process, client);
    }

    public Task<ServiceProcess> StartContainerManagerAsync(string name = "container-manager", IReadOnlyDictionary<string, string?>? extra = null) =>
        Start("Trinity.ContainerManager", name, extra).WaitUntilStartedAsync();

    public Task<ServiceProcess> StartRotationWorkerAsync(string name = "rotation-worker", IReadOnlyDictionary<string, string?>? extra = null) =>
        Start("Trinity.RotationWorker", name, extra).WaitUntilStartedAsync();

    /// <summary>An agent server process on its own loopback port, its placement registered in the database.</summary>
    public async Task<AgentServerProcess> StartAgentServerAsync(string agentName, string? bakedToken, Guid? subscriptionId)
    {
        var agent = AgentServerProcess.Start(agentName, bakedToken, LogDirectory);
        _processes.Add(agent.Process);
        await agent.Process.WaitUntilStartedAsync();
        await RegisterAgentAsync(agentName, subscriptionId, agent.BaseUrl, agent.ControlKey);
        return agent;
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

    public async Task RegisterAgentAsync(string agentName, Guid? subscriptionId, string? baseUrl, string? controlKey, string? containerId = null)
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

    /// <summary>Every queue empty (ready, unacked, _error) and nothing waiting in the outbox, then two more seconds for anything late, then still so.</summary>
    public async Task WaitUntilQuietAsync(TimeSpan? timeout = null)
    {
        await Eventually.Until(IsQuietAsync, "every queue to be empty", timeout);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await Eventually.Until(IsQuietAsync, "every queue to stay empty", timeout);
    }

    public IReadOnlyList<ServiceProcess> Processes => _processes;

    /// <summary>Everything every service process of this class has written so far, one string per process.</summary>
    public IReadOnlyList<string> ServiceOutputs() => _processes.Select(p => p.OutputText).ToList();

    /// <summary>Every queue of this test's virtual host, as the management API reports it.</summary>
    public Task<IReadOnlyList<QueueCounts>> QueuesAsync() => Management.QueuesAsync(VirtualHost);

    /// <summary>Ready, unacked and _error all zero on every queue, and no committed message still to be relayed.</summary>
    public async Task<bool> IsQuietAsync()
    {
        if (!(await QueuesAsync()).All(q => q.IsEmpty))
            return false;
        await using var db = NewDbContext();
        return !await db.OutboxMessages.AnyAsync();
    }

    public async Task<string?> LeaseOwnerAsync(string agentName)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration);
        var value = await redis.GetDatabase().StringGetAsync(LeaseKey(agentName));
        return value.HasValue ? value.ToString() : null;
    }

    /// <summary>Takes or renews an agent's lease as another actor would (a fleet restart, a container manager at work).</summary>
    public async Task<bool> HoldLeaseAsync(string agentName, string owner, TimeSpan ttl)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration);
        var db = redis.GetDatabase();
        return await db.LockTakeAsync(LeaseKey(agentName), owner, ttl) || await db.LockExtendAsync(LeaseKey(agentName), owner, ttl);
    }

    string LeaseKey(string agentName) => $"{RedisKeyPrefix}agent-lock:{agentName}";

    string Connection(string database) =>
        $"Host=127.0.0.1;Port=5432;Database={database};Username={Credentials.PostgresUser};Password={Credentials.PostgresPassword};SSL Mode=Disable;Include Error Detail=false";

    async Task DropDatabaseAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(Connection("postgres"));
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Virtual hosts and databases of runs that died more than an hour ago (the name carries the time).</summary>
    async Task RemoveLeftoversAsync()
    {
        static bool Stale(string name, string prefix) =>
            name.StartsWith(prefix, StringComparison.Ordinal)
            && name.Length >= prefix.Length + 14
            && DateTime.TryParseExact(name.AsSpan(prefix.Length, 14), "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var created)
            && created < DateTime.UtcNow.AddHours(-1);

        foreach (var vhost in (await Management.VirtualHostsAsync()).Where(v => Stale(v, Prefix)))
            await Management.DeleteVirtualHostAsync(vhost);

        var databases = new List<string>();
        await using (var admin = new NpgsqlConnection(Connection("postgres")))
        {
            await admin.OpenAsync();
            await using var list = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'trinity\\_test\\_%'", admin);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                databases.Add(reader.GetString(0));
        }
        foreach (var database in databases.Where(d => Stale(d, Prefix.Replace('-', '_'))))
            await DropDatabaseAsync(database);
    }
}
