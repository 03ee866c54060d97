using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Intake;
using Trinity.Testing;

namespace Trinity.Orchestrator.Tests.Intake;

/// <summary>What the intake makes of a producer's times and numbers before anything is stored.</summary>
public sealed class Admitting_a_failure_report
{
    static readonly DateTimeOffset ReceivedAt = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    static readonly ReportSubscriptionFailure Report = TrinityTestStores.Failure("agent", Guid.NewGuid()) with { OccurredAt = ReceivedAt };

    public static TheoryData<string, ReportSubscriptionFailure> Refused => new()
    {
        { "OccurredAt", Report with { OccurredAt = DateTimeOffset.Parse("9999-12-31T23:59:59Z", System.Globalization.CultureInfo.InvariantCulture) } },
        { "OccurredAt", Report with { OccurredAt = ReceivedAt.AddMinutes(5).AddSeconds(1) } },
        { "RetryAfterSeconds", Report with { RetryAfterSeconds = -1 } },
        { "StatusCode", Report with { StatusCode = 0 } },
        { "StatusCode", Report with { StatusCode = 4290 } },
        { "Source", Report with { Source = (FailureSource)7 } },
        { "Kind", Report with { Kind = (FailureKind)7 } },
        { "TokenFingerprint", Report with { TokenFingerprint = "sk-ant-not-a-fingerprint" } },
        { "FailureId", Report with { FailureId = Guid.Empty } },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void What_cannot_be_made_sense_of_is_refused_naming_the_field(string field, ReportSubscriptionFailure report)
    {
        var refused = Assert.Throws<RejectedFailureReportException>(() => FailureReportAdmission.Admit(report, ReceivedAt));
        Assert.Contains(field, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_producer_clock_a_little_ahead_is_accepted_as_it_is()
    {
        var admitted = FailureReportAdmission.Admit(Report with { OccurredAt = ReceivedAt.AddMinutes(4) }, ReceivedAt);
        Assert.Equal(ReceivedAt.AddMinutes(4), admitted.OccurredAt);
    }

    [Fact]
    public void A_retry_after_longer_than_seven_days_is_cut_to_seven_days()
    {
        Assert.Equal(7 * 24 * 3600, FailureReportAdmission.Admit(Report with { RetryAfterSeconds = int.MaxValue }, ReceivedAt).RetryAfterSeconds);
    }

    [Fact]
    public void A_bad_agent_name_is_refused_naming_it()
    {
        var refused = Assert.Throws<InvalidAgentNameException>(() => FailureReportAdmission.Admit(Report with { AgentName = "Not A Name!" }, ReceivedAt));
        Assert.Contains("Agent name", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_stored_report_cools_a_subscription_past_its_recording_plus_seven_days_nor_overflows()
    {
        var recordedAt = ReceivedAt;
        Assert.Equal(recordedAt + SubscriptionCooldown.DefaultWindow, SubscriptionCooldown.Ends(DateTimeOffset.MaxValue, recordedAt, null, SubscriptionCooldown.DefaultWindow));
        Assert.Equal(recordedAt.AddDays(7), SubscriptionCooldown.Ends(DateTimeOffset.MaxValue, recordedAt, int.MaxValue, SubscriptionCooldown.DefaultWindow));
        Assert.Equal(DateTimeOffset.MinValue + SubscriptionCooldown.DefaultWindow, SubscriptionCooldown.Ends(DateTimeOffset.MinValue, recordedAt, null, SubscriptionCooldown.DefaultWindow));
        Assert.Equal(DateTimeOffset.MaxValue, SubscriptionCooldown.Ends(DateTimeOffset.MaxValue, DateTimeOffset.MaxValue, 60, SubscriptionCooldown.DefaultWindow));
    }
}
