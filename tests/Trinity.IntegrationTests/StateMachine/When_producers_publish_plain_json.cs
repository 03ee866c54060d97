using System.Text.Json;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>
/// The failure intake as producers in any language see it: plain JSON on the <c>trinity.failure-intake</c>
/// exchange, from an AMQP client that knows nothing of MassTransit. A malformed report lands in
/// <c>_error</c> with its reason and the next valid one is still processed; an unresolvable one is refused,
/// never guessed from the agent's current subscription.
/// </summary>
public sealed class When_producers_publish_plain_json(When_producers_publish_plain_json.Scenario scenario)
    : IClassFixture<When_producers_publish_plain_json.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public AgentServerProcess Alpha { get; private set; } = null!;
        public AgentServerProcess Beta { get; private set; } = null!;
        public IReadOnlyList<PeekedMessage> Errors { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            Alpha = await StartAgentServerAsync("alpha", TokenA, A.Id);
            Beta = await StartAgentServerAsync("beta", TokenA, A.Id);
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();

            // alpha: by subscription id. Then garbage, a bad agent name, an unknown fingerprint; then beta by fingerprint.
            await Publish(new { failureId = Guid.NewGuid(), agentName = "alpha", subscriptionId = A.Id, kind = "rate-limited", source = "chat", statusCode = 429, occurredAt = DateTimeOffset.UtcNow });
            await RawAmqpProducer.PublishAsync(this, EntityNames.FailureIntake, "{ this is not json");
            await Publish(new { failureId = Guid.NewGuid(), agentName = "Not A Name!", subscriptionId = A.Id, kind = "rate-limited", source = "chat", occurredAt = DateTimeOffset.UtcNow });
            await Publish(new { failureId = Guid.NewGuid(), agentName = "beta", tokenFingerprint = "0123456789ab", kind = "authentication-failed", source = "schedule", occurredAt = DateTimeOffset.UtcNow });
            await Publish(new { failureId = Guid.NewGuid(), agentName = "beta", tokenFingerprint = TokenFingerprint.Of(TokenA), kind = "quota-exhausted", source = "schedule", occurredAt = DateTimeOffset.UtcNow });

            await Eventually.Until(async () => (await Beta.LiveCredentialAsync()).Fingerprint == TokenFingerprint.Of(TokenB), "beta to move to B");
            await Eventually.Until(async () => (await Alpha.LiveCredentialAsync()).Fingerprint == TokenFingerprint.Of(TokenB), "alpha to move to B");
            await Eventually.Until(async () => (await QueuesAsync()).Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal)).Sum(q => q.Ready) == 3, "three refusals in _error");
            Errors = await Management.PeekAsync(VirtualHost, EntityNames.Queues.FailureIntake + "_error");
        }

        Task Publish(object report) => RawAmqpProducer.PublishAsync(this, EntityNames.FailureIntake, JsonSerializer.Serialize(report));
    }

    [Fact]
    public async Task A_plain_json_report_by_subscription_produces_a_switch()
    {
        Assert.Equal(scenario.B.Id, (await scenario.AgentAsync("alpha")).SubscriptionId);
        var failure = Assert.Single(await scenario.FailuresAsync(), f => f.AgentName == "alpha");
        Assert.Equal((FailureKind.RateLimited, FailureSource.Chat), (failure.Kind, failure.Source));
    }

    [Fact]
    public async Task A_plain_json_report_by_the_fingerprint_the_turn_started_with_is_resolved_to_its_subscription()
    {
        Assert.Equal(scenario.B.Id, (await scenario.AgentAsync("beta")).SubscriptionId);
        var failure = Assert.Single(await scenario.FailuresAsync(), f => f.AgentName == "beta");
        Assert.Equal((scenario.A.Id, FailureKind.QuotaExhausted), (failure.SubscriptionId, failure.Kind));
    }

    [Fact]
    public void Malformed_and_unresolvable_reports_land_in_error_with_their_reason()
    {
        Assert.Equal(3, scenario.Errors.Count);
        var reasons = scenario.Errors.Select(e => e.Headers.GetValueOrDefault("MT-Fault-Message") ?? e.Headers.GetValueOrDefault("MT-Reason") ?? "").ToList();
        Assert.Contains(reasons, r => r.Contains("Not A Name!", StringComparison.Ordinal) && r.Contains("DNS label", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("0123456789ab", StringComparison.Ordinal) && r.Contains("No subscription key", StringComparison.Ordinal));
        Assert.Single(reasons, r => !r.Contains("Not A Name!", StringComparison.Ordinal) && !r.Contains("0123456789ab", StringComparison.Ordinal) && r.Length > 0);
    }

    [Fact]
    public async Task A_refused_report_is_never_recorded_or_guessed()
    {
        var failures = await scenario.FailuresAsync();
        Assert.Equal(2, failures.Count);
        Assert.DoesNotContain(failures, f => f.Kind == FailureKind.AuthenticationFailed);
    }
}
