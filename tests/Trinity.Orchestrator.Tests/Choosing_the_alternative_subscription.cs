using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;
using Trinity.Orchestrator.Rotations;
using Trinity.Testing;

namespace Trinity.Orchestrator.Tests;

/// <summary>
/// Design §4 rule 4 (docs/design.md) on real PostgreSQL: each rule decides one spec. Every spec seeds inside a transaction it
/// rolls back, so the specs of this class never see each other's rows.
/// </summary>
public sealed class Choosing_the_alternative_subscription(TrinityTestSystem system) : IClassFixture<TrinityTestSystem>
{
    static readonly DateTimeOffset Now = new(2026, 11, 28, 14, 2, 0, TimeSpan.Zero);

    [Fact]
    public Task Never_picks_the_failing_subscription() => Within(async (db, seed) =>
    {
        var a = seed.Subscription("a");
        await db.SaveChangesAsync();
        Assert.Null((await Selector(db).ChooseAlternativeAsync(a.Id, default)).Target);
    });

    [Fact]
    public Task Skips_a_subscription_with_a_failure_inside_the_two_hour_cooldown() => Within(async (db, seed) =>
    {
        var a = seed.Subscription("a");
        var b = seed.Subscription("b");
        var c = seed.Subscription("c");
        seed.Failure(b, Now.AddMinutes(-119));
        seed.Failure(c, Now.AddMinutes(-121));
        await db.SaveChangesAsync();
        Assert.Equal(c.Id, (await Selector(db).ChooseAlternativeAsync(a.Id, default)).Target?.Id);
    });

    [Fact]
    public Task Honours_a_retry_after_longer_than_the_cooldown() => Within(async (db, seed) =>
    {
        var a = seed.Subscription("a");
        var b = seed.Subscription("b");
        var c = seed.Subscription("c");
        seed.Failure(b, Now.AddHours(-3), retryAfterSeconds: 4 * 3600);
        seed.Failure(c, Now.AddHours(-3), retryAfterSeconds: 60);
        await db.SaveChangesAsync();
        Assert.Equal(c.Id, (await Selector(db).ChooseAlternativeAsync(a.Id, default)).Target?.Id);
    });

    [Fact]
    public Task Prefers_the_subscription_with_the_fewest_agents() => Within(async (db, seed) =>
    {
        var a = seed.Subscription("a");
        var b = seed.Subscription("b");
        var c = seed.Subscription("c");
        seed.Agents(b, 2);
        seed.Agents(c, 1);
        await db.SaveChangesAsync();
        Assert.Equal(c.Id, (await Selector(db).ChooseAlternativeAsync(a.Id, default)).Target?.Id);
    });

    [Fact]
    public Task Breaks_a_tie_by_name() => Within(async (db, seed) =>
    {
        var a = seed.Subscription("a");
        var c = seed.Subscription("c");
        var b = seed.Subscription("b");
        seed.Agents(b, 1);
        seed.Agents(c, 1);
        await db.SaveChangesAsync();
        Assert.Equal(b.Id, (await Selector(db).ChooseAlternativeAsync(a.Id, default)).Target?.Id);
    });

    [Fact]
    public Task Never_picks_a_removed_subscription_and_finds_none_when_nothing_is_viable() => Within(async (db, seed) =>
    {
        var a = seed.Subscription("a");
        var b = seed.Subscription("b");
        var c = seed.Subscription("c");
        b.DeletedAt = Now.AddDays(-1);
        seed.Failure(c, Now.AddMinutes(-5));
        await db.SaveChangesAsync();
        Assert.Null((await Selector(db).ChooseAlternativeAsync(a.Id, default)).Target);
    });

    [Fact]
    public Task Keeps_history_it_reads_intact() => Within(async (db, seed) =>
    {
        var a = seed.Subscription("a");
        seed.Subscription("b");
        seed.Failure(a, Now.AddMinutes(-1));
        await db.SaveChangesAsync();
        await Selector(db).ChooseAlternativeAsync(a.Id, default);
        Assert.Single(db.Failures.Where(f => f.SubscriptionId == a.Id));
    });

    static SubscriptionSelector Selector(TrinityDbContext db) =>
        new(db, new FixedClock(Now), Options.Create(new OrchestratorOptions()));

    async Task Within(Func<TrinityDbContext, Seed, Task> spec)
    {
        await using var db = system.NewDbContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await spec(db, new Seed(db));
        await transaction.RollbackAsync();
    }

    sealed class Seed(TrinityDbContext db)
    {
        public Subscription Subscription(string name)
        {
            var subscription = new Subscription { Id = Guid.NewGuid(), Name = name, EncryptedToken = [1], TokenFingerprint = "000000000000", CreatedAt = Now, UpdatedAt = Now };
            db.Subscriptions.Add(subscription);
            return subscription;
        }

        public void Failure(Subscription on, DateTimeOffset at, int? retryAfterSeconds = null) => db.Failures.Add(new FailureRecord
        {
            Id = Guid.NewGuid(),
            AgentName = "someone",
            SubscriptionId = on.Id,
            Kind = FailureKind.RateLimited,
            Source = FailureSource.Chat,
            OccurredAt = at,
            RecordedAt = at,
            RetryAfterSeconds = retryAfterSeconds,
        });

        public void Agents(Subscription on, int count)
        {
            for (var i = 0; i < count; i++)
                db.Agents.Add(new Agent { Name = $"agent-{Guid.NewGuid():N}"[..20], SubscriptionId = on.Id, CreatedAt = Now, UpdatedAt = Now });
        }
    }

    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
