using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;
using Trinity.Orchestrator.Intake;
using Trinity.Testing;

namespace Trinity.Orchestrator.Tests.Intake;

/// <summary>
/// The intake's group commit and burst absorption on real PostgreSQL, with the in-memory bus in place of the broker.
/// Each spec holds its reports before the intake starts, so they really are one group; agents and subscriptions are
/// the spec's own, and what was published is counted once the outbox has nothing left to send.
/// </summary>
public sealed class Recording_failure_reports_in_groups(OrchestratorStores stores) : IClassFixture<OrchestratorStores>
{
    [Fact]
    public async Task Reports_held_together_commit_in_one_transaction_and_a_refused_one_holds_back_no_neighbour()
    {
        var (a, _) = await stores.NewSubscriptionAsync("a");
        var (x, y) = (OrchestratorStores.NewAgentName("x"), OrchestratorStores.NewAgentName("y"));
        var first = TrinityTestStores.Failure(x, a.Id);
        var unknown = TrinityTestStores.Failure(y, Guid.NewGuid());
        var second = TrinityTestStores.Failure(y, a.Id);

        var outcomes = await RecordAsOneGroupAsync(first, first with { }, unknown, second);

        Assert.Null(outcomes[0]);
        Assert.Null(outcomes[1]);
        Assert.Contains($"Subscription {unknown.SubscriptionId} does not exist", Assert.IsType<RejectedFailureReportException>(outcomes[2]).Message, StringComparison.Ordinal);
        Assert.Null(outcomes[3]);
        await using var db = stores.NewDbContext();
        var recorded = await db.Failures.Where(f => f.AgentName == x || f.AgentName == y).Select(f => f.Id).ToListAsync();
        Assert.Equal(new[] { first.FailureId, second.FailureId }.Order(), recorded.Order());
        var transactions = await db.Database.SqlQuery<string>($"SELECT xmin::text AS \"Value\" FROM failures WHERE agent_name IN ({x}, {y})").Distinct().ToListAsync();
        Assert.Single(transactions);
        Assert.Equal(2, await db.AgentCredentialStates.CountAsync(s => (s.AgentName == x || s.AgentName == y) && s.CurrentState == "Idle"));
    }

    [Fact]
    public async Task A_burst_about_one_agent_and_subscription_reaches_the_state_machine_once_and_the_rest_is_absorbed()
    {
        var (a, _) = await stores.NewSubscriptionAsync("a");
        var agent = OrchestratorStores.NewAgentName("burst");
        var burst = Enumerable.Range(0, 5).Select(_ => TrinityTestStores.Failure(agent, a.Id)).ToArray();

        Assert.All(await RecordAsOneGroupAsync(burst), Assert.Null);

        var published = Published(agent);
        var acted = Assert.Single(published);
        await using var db = stores.NewDbContext();
        var absorbed = await db.Failures.Where(f => f.AgentName == agent && f.Id != acted.FailureId).Select(f => f.Decision).ToListAsync();
        Assert.Equal(4, absorbed.Count);
        Assert.All(absorbed, decision => Assert.Equal($"absorbed: failure {acted.FailureId} of the same agent and subscription is being acted on", decision));
    }

    [Fact]
    public async Task A_report_whose_earlier_sibling_still_awaits_its_decision_is_absorbed_in_a_later_group()
    {
        var (a, _) = await stores.NewSubscriptionAsync("a");
        var agent = OrchestratorStores.NewAgentName("later");
        var earlier = TrinityTestStores.Failure(agent, a.Id);
        await RecordAsOneGroupAsync(earlier);
        var later = TrinityTestStores.Failure(agent, a.Id);

        await RecordAsOneGroupAsync(later);

        Assert.Equal(earlier.FailureId, Assert.Single(Published(agent)).FailureId);
        await using var db = stores.NewDbContext();
        Assert.StartsWith($"absorbed: failure {earlier.FailureId}", (await db.Failures.SingleAsync(f => f.Id == later.FailureId)).Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_about_two_subscriptions_of_one_agent_are_each_decided()
    {
        var (a, _) = await stores.NewSubscriptionAsync("a");
        var (b, _) = await stores.NewSubscriptionAsync("b");
        var agent = OrchestratorStores.NewAgentName("both");

        await RecordAsOneGroupAsync(TrinityTestStores.Failure(agent, a.Id), TrinityTestStores.Failure(agent, b.Id));

        Assert.Equal(new[] { a.Id, b.Id }.Order(), Published(agent).Select(p => p.SubscriptionId).Order());
    }

    [Fact]
    public async Task A_report_carries_the_key_version_of_its_fingerprint_else_the_one_in_force_when_it_occurred()
    {
        var (a, oldToken) = await stores.NewSubscriptionAsync("a");
        var rolledOverAt = DateTimeOffset.UtcNow.AddMinutes(-10);
        await using (var db = stores.NewDbContext())
        {
            db.SubscriptionKeys.Add(new SubscriptionKey { SubscriptionId = a.Id, KeyVersion = 2, TokenFingerprint = TokenFingerprint.Of(Canary.NewToken()), CreatedAt = rolledOverAt });
            await db.SaveChangesAsync();
            await db.Subscriptions.Where(s => s.Id == a.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.KeyVersion, 2));
            await db.SubscriptionKeys.Where(k => k.SubscriptionId == a.Id && k.KeyVersion == 1).ExecuteUpdateAsync(k => k.SetProperty(x => x.CreatedAt, rolledOverAt.AddDays(-1)));
        }
        var agent = OrchestratorStores.NewAgentName("keys");
        var byOldFingerprint = TrinityTestStores.Failure(agent, a.Id) with { SubscriptionId = null, TokenFingerprint = TokenFingerprint.Of(oldToken), Kind = FailureKind.AuthenticationFailed };
        var beforeTheRollover = TrinityTestStores.Failure(agent, a.Id) with { OccurredAt = rolledOverAt.AddMinutes(-1), Kind = FailureKind.AuthenticationFailed };
        var afterTheRollover = TrinityTestStores.Failure(agent, a.Id) with { Kind = FailureKind.RateLimited };

        Assert.All(await RecordAsOneGroupAsync(byOldFingerprint, beforeTheRollover, afterTheRollover), Assert.Null);

        await using var read = stores.NewDbContext();
        var versions = await read.Failures.Where(f => f.AgentName == agent).ToDictionaryAsync(f => f.Id, f => f.KeyVersion);
        Assert.Equal((1, 1, 2), (versions[byOldFingerprint.FailureId], versions[beforeTheRollover.FailureId], versions[afterTheRollover.FailureId]));
    }

    [Fact]
    public async Task Odd_text_is_cleaned_and_recorded_with_its_neighbours_in_the_same_transaction()
    {
        var (a, _) = await stores.NewSubscriptionAsync("a");
        var agent = OrchestratorStores.NewAgentName("text");
        var now = DateTimeOffset.UtcNow;
        var withNul = TrinityTestStores.Failure(agent, a.Id) with { ExecutionId = "exec\0-1" };
        var emojiAtTheCut = TrinityTestStores.Failure(agent, a.Id) with { ErrorMessage = new string('x', 499) + "\U0001F600 rate_limit_error" };
        var loneSurrogate = TrinityTestStores.Failure(agent, a.Id) with { ErrorMessage = "429 \uD83D cut by its producer" };
        var withAnOffset = TrinityTestStores.Failure(agent, a.Id) with { OccurredAt = now.ToOffset(TimeSpan.FromHours(2)) };
        var tokenSplitByNul = TrinityTestStores.Failure(agent, a.Id) with { ErrorMessage = "401 for sk-ant-\0oat01-abcdefghijklmnop", ExecutionId = "sk-ant-oat01-abcdefghijklmnop" };
        var neighbour = TrinityTestStores.Failure(agent, a.Id);

        var outcomes = await RecordAsOneGroupAsync([.. new[] { withNul, emojiAtTheCut, loneSurrogate, withAnOffset, tokenSplitByNul, neighbour }.Select(r => FailureReportAdmission.Admit(r, now))]);

        Assert.All(outcomes, Assert.Null);
        await using var db = stores.NewDbContext();
        var recorded = await db.Failures.Where(f => f.AgentName == agent).ToDictionaryAsync(f => f.Id);
        Assert.Equal(6, recorded.Count);
        // PostgreSQL keeps microseconds; the point is that the row went in, in UTC.
        Assert.Equal(TimeSpan.Zero, recorded[withAnOffset.FailureId].OccurredAt.Offset);
        Assert.InRange(recorded[withAnOffset.FailureId].OccurredAt - now, TimeSpan.FromMilliseconds(-1), TimeSpan.FromMilliseconds(1));
        Assert.Equal(("401 for [redacted]", "[redacted]"), (recorded[tokenSplitByNul.FailureId].ErrorMessage, recorded[tokenSplitByNul.FailureId].ExecutionId));
        Assert.Equal("exec-1", recorded[withNul.FailureId].ExecutionId);
        Assert.Equal(new string('x', 499), recorded[emojiAtTheCut.FailureId].ErrorMessage);
        Assert.Equal("429 \uFFFD cut by its producer", recorded[loneSurrogate.FailureId].ErrorMessage);
        // One group, one transaction: nothing waited for a retry.
        Assert.Single(await db.Database.SqlQuery<string>($"SELECT xmin::text AS \"Value\" FROM failures WHERE agent_name = {agent}").Distinct().ToListAsync());
    }

    [Fact]
    public async Task A_report_the_database_refuses_fails_alone_and_its_neighbours_are_recorded_at_once()
    {
        var (a, _) = await stores.NewSubscriptionAsync("a");
        var agent = OrchestratorStores.NewAgentName("poison");
        var poison = TrinityTestStores.Failure(agent, a.Id) with { ExecutionId = $"poison-{Guid.NewGuid():N}" };
        var neighbours = Enumerable.Range(0, 3).Select(_ => TrinityTestStores.Failure(agent, a.Id)).ToArray();
        var trigger = $"refuse_{Guid.NewGuid():N}";
        await using (var db = stores.NewDbContext())
        {
            // Stands for any reason PostgreSQL refuses one row that the admission did not foresee.
            var create = $"""
                CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.execution_id = '{poison.ExecutionId}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;
                CREATE TRIGGER {trigger} BEFORE INSERT ON failures FOR EACH ROW EXECUTE FUNCTION {trigger}();
                """;
            await db.Database.ExecuteSqlRawAsync(create);
        }
        try
        {
            var outcomes = await RecordAsOneGroupAsync([poison, .. neighbours]);

            Assert.Contains("refused by the test", Assert.IsType<Npgsql.PostgresException>(Assert.IsType<Microsoft.EntityFrameworkCore.DbUpdateException>(outcomes[0]).InnerException).MessageText, StringComparison.Ordinal);
            Assert.All(outcomes[1..], Assert.Null);
            await using var db = stores.NewDbContext();
            Assert.Equal(neighbours.Select(n => n.FailureId).Order(), (await db.Failures.Where(f => f.AgentName == agent).Select(f => f.Id).ToListAsync()).Order());
        }
        finally
        {
            await using var db = stores.NewDbContext();
            var drop = $"DROP TRIGGER {trigger} ON failures; DROP FUNCTION {trigger}();";
            await db.Database.ExecuteSqlRawAsync(drop);
        }
    }

    [Fact]
    public async Task When_the_database_cannot_be_reached_every_report_of_the_group_fails_at_once_to_be_retried()
    {
        // A PostgreSQL that is not there: nothing listens on port 1.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Trinity:Postgres:ConnectionString"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Password=none;Timeout=2",
        }).Build();
        await using var away = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System)
            .AddTrinityDatabase(configuration).AddTrinityOutbox(configuration)
            .AddMassTransitTestHarness(bus => bus.UsingInMemory((context, memory) => memory.ConfigureEndpoints(context)))
            .BuildServiceProvider();
        var intake = new FailureIntake(away.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System,
            stores.GetRequiredService<IOptions<OrchestratorOptions>>(), stores.GetRequiredService<ILogger<FailureIntake>>());
        var agent = OrchestratorStores.NewAgentName("away");
        var recording = Enumerable.Range(0, 3).Select(_ => intake.RecordAsync(TrinityTestStores.Failure(agent, Guid.NewGuid()), default)).ToArray();
        await intake.StartAsync(default);
        try
        {
            foreach (var report in recording)
                Assert.IsAssignableFrom<Npgsql.NpgsqlException>((await Assert.ThrowsAnyAsync<Exception>(() => report.WaitAsync(TimeSpan.FromSeconds(30)))).InnerException);
        }
        finally
        {
            await intake.StopAsync(default);
        }
    }

    /// <summary>
    /// Hands every report to an intake that is not running yet, then starts it: one group. Each report's outcome: null
    /// (recorded) or what refused it. Returns once the intake has sent everything it committed (no relay runs here).
    /// </summary>
    async Task<Exception?[]> RecordAsOneGroupAsync(params ReportSubscriptionFailure[] reports)
    {
        var intake = new FailureIntake(stores.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System,
            stores.GetRequiredService<IOptions<OrchestratorOptions>>(), stores.GetRequiredService<ILogger<FailureIntake>>());
        var recording = reports.Select(report => intake.RecordAsync(report, default)).ToArray();
        await intake.StartAsync(default);
        try
        {
            var outcomes = new Exception?[reports.Length];
            for (var i = 0; i < recording.Length; i++)
            {
                try
                {
                    await recording[i].WaitAsync(TimeSpan.FromSeconds(30));
                }
                catch (Exception refused) when (refused is not TimeoutException)
                {
                    outcomes[i] = refused;
                }
            }
            await Eventually.Until(async () =>
            {
                await using var db = stores.NewDbContext();
                return !await db.OutboxMessages.AnyAsync();
            }, "the intake to send what it committed");
            return outcomes;
        }
        finally
        {
            await intake.StopAsync(default);
        }
    }

    List<SubscriptionFailureReported> Published(string agent) =>
        stores.Harness.Published.Select<SubscriptionFailureReported>().Select(p => p.Context.Message).Where(m => m.AgentName == agent).ToList();
}
