using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Producers;

/// <summary>
/// Plain JSON on the intake exchange, as a careless or hostile producer writes it, mixed with ordinary reports of other
/// agents: a report dated 9999-12-31, one with a NUL in its execution id, a legitimate 429 with an emoji where the intake
/// cuts its error text, and refusals with a fresh canary token in every field, in an escaped string, in a body that does
/// not parse and in a header. A row dated 9999 stored before the intake bounded producer times is already there.
/// Every ordinary report switches its agent; every refusal lands in <c>_error</c> with a reason naming its field and
/// without any token-shaped text.
/// </summary>
public sealed class When_a_producer_sends_odd_reports(When_a_producer_sends_odd_reports.Scenario scenario)
    : IClassFixture<When_a_producer_sends_odd_reports.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public string CanaryToken { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public Subscription Old { get; private set; } = null!;
        public IReadOnlyList<PeekedMessage> Errors { get; private set; } = [];
        public JsonElement Subscriptions { get; private set; }
        public const int Refusals = 6;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            Old = await AddSubscriptionAsync("subscription-old", Canary.NewToken());
            await using (var db = NewDbContext())
            {
                db.Failures.Add(new FailureRecord
                {
                    Id = Guid.NewGuid(), AgentName = "someone", SubscriptionId = Old.Id, Kind = FailureKind.RateLimited, Source = FailureSource.Chat,
                    StatusCode = 429, OccurredAt = DateTimeOffset.MaxValue, RecordedAt = DateTimeOffset.UtcNow, Decision = "recorded before the intake bounded producer times",
                });
                await db.SaveChangesAsync();
            }
            var agents = new[] { "alpha", "beta", "gamma" };
            foreach (var agent in agents)
                await StartAgentServerAsync(agent, TokenA, A.Id);
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();
            var (_, api) = await StartApiAsync();
            var now = DateTimeOffset.UtcNow;

            await Publish(Report("alpha", now) with { OccurredAt = DateTimeOffset.Parse("9999-12-31T23:59:59Z", System.Globalization.CultureInfo.InvariantCulture) });
            await Publish(Report("beta", now) with { ExecutionId = "exec\0-7" });
            await Publish(Report("gamma", now) with { ErrorMessage = new string('x', 499) + "\U0001F600 429 rate_limit_error" });
            await Publish(Report("alpha", now));
            // Refusals, a canary in each place a producer controls.
            await Publish(Report(CanaryToken, now));
            await Publish(Report("alpha", now) with { TokenFingerprint = CanaryToken, SubscriptionId = null });
            await Publish(Report("alpha", now) with { ExecutionId = CanaryToken, ErrorMessage = $"401 for {CanaryToken}", OccurredAt = now.AddDays(1) });
            await RawAmqpProducer.PublishAsync(this, EntityNames.FailureIntake,
                $$"""{"failureId":"{{Guid.NewGuid()}}","agentName":"alpha","subscriptionId":"{{A.Id}}","kind":"rate-limited","source":"chat","retryAfterSeconds":-5,"occurredAt":"{{now:O}}","errorMessage":"{{CanaryToken.Replace("-", "\\u002d", StringComparison.Ordinal)}}"}""");
            await RawAmqpProducer.PublishAsync(this, EntityNames.FailureIntake, $$"""{ "errorMessage": "{{CanaryToken}}", this is not json""",
                headers: new Dictionary<string, object?> { ["x-producer-note"] = $"token {CanaryToken}" });

            foreach (var agent in agents)
                await Eventually.Until(async () => (await AgentAsync(agent)).SubscriptionId == B.Id, $"{agent} to move to B");
            // Quiet but for the refusals: then two more seconds for anything late.
            for (var settled = 0; settled < 2; settled++)
            {
                await Eventually.Until(async () => (await QueuesAsync()) is var queues
                    && queues.Where(q => !q.Name.EndsWith("_error", StringComparison.Ordinal)).All(q => q.IsEmpty)
                    && queues.Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Ready) >= Refusals, $"{Refusals} refusals in _error and nothing else left");
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            Errors = await Management.PeekAsync(VirtualHost, EntityNames.Queues.FailureIntake + "_error");
            Subscriptions = await api.GetFromJsonAsync<JsonElement>("/api/subscriptions");
        }

        ReportSubscriptionFailure Report(string agent, DateTimeOffset at) => new()
        {
            FailureId = Guid.NewGuid(), AgentName = agent, SubscriptionId = A.Id, Kind = FailureKind.RateLimited, Source = FailureSource.Chat,
            StatusCode = 429, OccurredAt = at,
        };

        static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
        {
            Converters = { new KebabCaseEnumConverter<FailureKind>(), new KebabCaseEnumConverter<FailureSource>() },
        };

        Task Publish(ReportSubscriptionFailure report) => RawAmqpProducer.PublishAsync(this, EntityNames.FailureIntake, JsonSerializer.Serialize(report, Json));
    }

    [Fact]
    public async Task Every_ordinary_report_is_recorded_cleaned_and_switches_its_agent()
    {
        var failures = await scenario.FailuresAsync();
        Assert.Equal("exec-7", Assert.Single(failures, f => f.AgentName == "beta").ExecutionId);
        Assert.Equal(new string('x', 499), Assert.Single(failures, f => f.AgentName == "gamma").ErrorMessage);
        Assert.Single(failures, f => f.AgentName == "alpha");
    }

    [Fact]
    public void Each_refusal_is_in_error_with_a_reason_naming_its_field()
    {
        Assert.Equal(Scenario.Refusals, scenario.Errors.Count);
        var reasons = scenario.Errors.Select(e => e.Headers.GetValueOrDefault("MT-Fault-Message") ?? e.Headers.GetValueOrDefault("MT-Reason") ?? "").ToList();
        Assert.Contains(reasons, r => r.Contains("OccurredAt 9999-12-31", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("OccurredAt", StringComparison.Ordinal) && r.Contains("minutes after it was received", StringComparison.Ordinal) && !r.Contains("9999", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("RetryAfterSeconds is negative", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("Agent name", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("TokenFingerprint", StringComparison.Ordinal));
        Assert.All(reasons, r => Assert.False(string.IsNullOrEmpty(r)));
    }

    [Fact]
    public void No_message_in_error_carries_the_canary_in_its_body_or_headers()
    {
        var texts = scenario.Errors.SelectMany(e => e.Headers.Select(h => $"{h.Key}: {h.Value}").Append(e.Payload)).ToList();
        LeakScan.AssertAbsent([scenario.CanaryToken], texts, "the intake's _error queue", atLeastCharacters: 2000);
        Assert.DoesNotContain(texts, t => t.Contains("sk-ant-", StringComparison.Ordinal) || t.Contains("sk\\u002dant", StringComparison.Ordinal));
        Assert.Contains(scenario.Errors, e => e.Payload.Contains("this is not json", StringComparison.Ordinal) && e.Payload.Contains("[redacted]", StringComparison.Ordinal));
        Assert.Contains(scenario.Errors, e => e.Headers.GetValueOrDefault("x-producer-note") == "token [redacted]");
    }

    [Fact]
    public void A_report_dated_9999_stored_before_cools_its_subscription_down_for_a_bounded_time_and_the_api_still_answers()
    {
        var old = scenario.Subscriptions.EnumerateArray().Single(s => s.GetProperty("id").GetGuid() == scenario.Old.Id);
        var until = old.GetProperty("cooldownUntil").GetDateTimeOffset();
        Assert.InRange(until, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(3));
    }
}
