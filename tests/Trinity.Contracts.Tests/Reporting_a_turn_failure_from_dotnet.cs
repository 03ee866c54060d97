using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Trinity.Messaging.Contracts.Failures;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Contracts.Tests;

/// <summary>The helper a .NET chat executor calls when a turn fails: the API's classification, scrubbing and limits, then a publish.</summary>
public sealed class Reporting_a_turn_failure_from_dotnet
{
    static readonly Guid Subscription = Guid.Parse("5ae275c3-329d-4832-b4f2-611bf2aae6aa");

    static TurnFailure Turn(int? status, string? error) => new()
    {
        AgentName = "Alice",
        Source = FailureSource.Chat,
        StatusCode = status,
        ErrorMessage = error,
        SubscriptionId = Subscription,
        ExecutionId = "turn-1",
    };

    [Theory]
    [InlineData(429, "Too Many Requests", FailureKind.RateLimited)]
    [InlineData(null, "API Error: rate_limit_error", FailureKind.RateLimited)]
    [InlineData(503, "Service Unavailable", FailureKind.AuthenticationFailed)]
    [InlineData(null, "OAuth token expired", FailureKind.AuthenticationFailed)]
    [InlineData(null, "Your credit balance is too low", FailureKind.AuthenticationFailed)]
    public void A_subscription_failure_becomes_a_report(int? status, string error, FailureKind kind)
    {
        var report = SubscriptionFailureReports.FromTurn(Turn(status, error), out var notOurs);
        Assert.NotNull(report);
        Assert.Null(notOurs);
        Assert.Equal((kind, "alice", Subscription, "turn-1"), (report.Kind, report.AgentName, report.SubscriptionId, report.ExecutionId));
        Assert.NotEqual(Guid.Empty, report.FailureId);
    }

    [Theory]
    [InlineData(null, "process exited: killed by SIGKILL (exit code 137), 401 seen earlier", "killed")]
    [InlineData(500, "TypeError: undefined is not a function", "neither a rate limit")]
    public void A_failure_that_is_not_the_subscriptions_fault_is_not_reported(int? status, string error, string reason)
    {
        Assert.Null(SubscriptionFailureReports.FromTurn(Turn(status, error), out var notOurs));
        Assert.Contains(reason, notOurs, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_echoed_in_the_error_text_is_scrubbed_and_the_text_is_cut_to_the_limit()
    {
        const string token = "sk-ant-oat01-abcdefghijklmnopqrstuvwxyz0123456789";
        var report = SubscriptionFailureReports.FromTurn(Turn(429, $"429 for {token} " + new string('x', 2000)), out _)!;
        Assert.DoesNotContain(token, report.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(TokenShapedText.Mask, report.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(ReportSubscriptionFailure.ErrorMessageLimit, report.ErrorMessage!.Length);
    }

    [Fact]
    public void Without_a_subscription_or_a_well_formed_fingerprint_it_refuses_rather_than_guess()
    {
        Assert.Throws<ArgumentException>(() => SubscriptionFailureReports.FromTurn(Turn(429, "") with { SubscriptionId = null, TokenFingerprint = "nope" }, out _));
        Assert.Throws<InvalidAgentNameException>(() => SubscriptionFailureReports.FromTurn(Turn(429, "") with { AgentName = "not a name" }, out _));
    }

    [Fact]
    public async Task ReportTurnFailure_publishes_a_subscription_failure_and_nothing_else()
    {
        await using var provider = new ServiceCollection().AddMassTransitTestHarness().BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        var sent = await harness.Bus.ReportTurnFailure(Turn(429, "rate limited"));
        var ignored = await harness.Bus.ReportTurnFailure(Turn(null, "killed by SIGTERM"));

        Assert.NotNull(sent);
        Assert.Null(ignored);
        var published = Assert.Single(harness.Published.Select<ReportSubscriptionFailure>().ToList());
        Assert.Equal(sent.FailureId, published.Context.Message.FailureId);
    }
}
