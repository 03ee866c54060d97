using System.Reflection;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.Tests.Decisions;

/// <summary>
/// One message's transaction, as the saga repository opens it: every spec seeds, decides and reads inside it, then
/// rolls it back, so the specs of a class never see each other's subscriptions. What a decision staged in the
/// outbox is read back from the transaction; the lease is real (Redis).
/// </summary>
public abstract class DecisionSpecs(OrchestratorStores stores)
{
    protected OrchestratorStores Stores { get; } = stores;

    protected static SubscriptionReassignmentRequested Reassign(AgentCredentialState saga, Subscription? to) =>
        new() { RequestId = Guid.NewGuid(), AgentName = saga.AgentName, SubscriptionId = to?.Id, RequestedBy = "operator" };

    protected async Task Within(Func<Decision, Task> spec)
    {
        await using var scope = Stores.NewScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await spec(new Decision(scope.ServiceProvider, db, Stores));
        await transaction.RollbackAsync();
    }

    protected sealed class Decision(IServiceProvider services, TrinityDbContext db, OrchestratorStores stores)
    {
        static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

        public TrinityDbContext Db { get; } = db;
        public IRotationDecisions Decisions { get; } = services.GetRequiredService<IRotationDecisions>();
        public IRotationLifecycle Lifecycle { get; } = services.GetRequiredService<IRotationLifecycle>();

        public async Task<Subscription> SubscriptionAsync(string name, int keyVersion = 1)
        {
            var token = Testing.Canary.NewToken();
            var subscription = new Subscription
            {
                Id = Guid.NewGuid(),
                Name = name,
                EncryptedToken = [1, 2, 3],
                TokenFingerprint = TokenFingerprint.Of(token),
                KeyVersion = keyVersion,
                CreatedAt = DateTimeOffset.UtcNow,
                UpdatedAt = DateTimeOffset.UtcNow,
            };
            Db.Subscriptions.Add(subscription);
            await Db.SaveChangesAsync();
            return subscription;
        }

        public async Task<AgentCredentialState> AgentAsync(Subscription? on)
        {
            var name = OrchestratorStores.NewAgentName("agent");
            Db.Agents.Add(new Agent { Name = name, SubscriptionId = on?.Id, BaseUrl = "http://127.0.0.1:9", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
            await Db.SaveChangesAsync();
            return new AgentCredentialState { CorrelationId = AgentIdentity.For(name), AgentName = name, AppliedSubscriptionId = on?.Id, AppliedKeyVersion = on?.KeyVersion };
        }

        public static SubscriptionFailureReported Failure(AgentCredentialState saga, Subscription about, FailureKind kind = FailureKind.RateLimited, int? keyVersion = null) => new()
        {
            FailureId = NewId.NextGuid(), AgentName = saga.AgentName, SubscriptionId = about.Id, Kind = kind, KeyVersion = keyVersion,
            Source = FailureSource.Chat, OccurredAt = DateTimeOffset.UtcNow,
        };

        /// <summary>Records the failure as the intake would, with the status code the producer reported.</summary>
        public async Task<SubscriptionFailureReported> ReportedAsync(SubscriptionFailureReported failure, int statusCode)
        {
            Db.Failures.Add(new FailureRecord
            {
                Id = failure.FailureId, AgentName = failure.AgentName, SubscriptionId = failure.SubscriptionId, Kind = failure.Kind, Source = failure.Source,
                StatusCode = statusCode, KeyVersion = failure.KeyVersion, OccurredAt = failure.OccurredAt, RecordedAt = DateTimeOffset.UtcNow,
            });
            await Db.SaveChangesAsync();
            return failure;
        }

        public Agent Agent(AgentCredentialState saga) => Db.Agents.Local.Single(a => a.Name == saga.AgentName);

        public Rotation? Rotation(AgentCredentialState saga) => Db.Rotations.Local.SingleOrDefault(r => r.AgentName == saga.AgentName);

        public FailureRecord FailureRecord(SubscriptionFailureReported failure) => Db.Failures.Local.Single(f => f.Id == failure.FailureId);

        /// <summary>The messages of type <typeparamref name="T"/> staged in the outbox by this transaction, with where they go (null: published).</summary>
        public List<(T Message, string? Destination)> Staged<T>()
        {
            var urn = typeof(T).GetCustomAttribute<MessageUrnAttribute>()!.Urn.ToString();
            return Db.ChangeTracker.Entries<OutboxMessage>()
                .Where(e => e.Entity.MessageType == urn)
                .Select(e => (JsonSerializer.Deserialize<T>(e.Entity.Body, Json)!, e.Entity.DestinationAddress))
                .ToList();
        }

        public async Task<string?> LeaseOwnerAsync(AgentCredentialState saga) => await stores.LeaseOwnerAsync(saga.AgentName);

        public async Task<TimeSpan?> LeaseTimeToLiveAsync(AgentCredentialState saga)
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(stores.RedisConfiguration);
            return await redis.GetDatabase().KeyTimeToLiveAsync($"{stores.RedisKeyPrefix}agent-lock:{saga.AgentName}");
        }
    }
}
