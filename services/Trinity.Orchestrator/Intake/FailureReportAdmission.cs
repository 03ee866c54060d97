using Trinity.Hosting.Logging;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Orchestrator.Intake;

/// <summary>
/// What the intake makes of a report before anything is stored: text cleaned and bounded, times checked against the
/// receive time, and whatever cannot be made sense of refused at once with a reason naming the field, so one odd
/// report never reaches the database, the state machine or its neighbours in a group.
/// </summary>
public static class FailureReportAdmission
{
    /// <summary>How far ahead of the receive time a producer's clock may be (DESIGN §4: beyond it, refused, not clamped).</summary>
    public static readonly TimeSpan LargestClockSkew = TimeSpan.FromMinutes(5);

    public const int ExecutionIdLimit = 200;

    /// <returns>The report as it is recorded.</returns>
    /// <exception cref="RejectedFailureReportException">The report cannot be recorded; the reason names the field.</exception>
    /// <exception cref="InvalidAgentNameException">The agent name is not a DNS label.</exception>
    public static ReportSubscriptionFailure Admit(ReportSubscriptionFailure report, DateTimeOffset receivedAt)
    {
        if (report.FailureId == Guid.Empty)
            throw new RejectedFailureReportException("FailureId is required.");
        var agentName = AgentName.Normalize(report.AgentName);
        if (!Enum.IsDefined(report.Kind))
            throw new RejectedFailureReportException("Kind is not one of rate-limited, authentication-failed, quota-exhausted.");
        if (!Enum.IsDefined(report.Source))
            throw new RejectedFailureReportException("Source is not one of chat, schedule, api.");
        if (report.TokenFingerprint is not null && !TokenFingerprint.IsWellFormed(report.TokenFingerprint))
            throw new RejectedFailureReportException($"TokenFingerprint is not {TokenFingerprint.Length} lower-case hex characters.");
        if (report.StatusCode is < 100 or > 599)
            throw new RejectedFailureReportException("StatusCode is not an HTTP status (100-599).");
        if (report.RetryAfterSeconds is < 0)
            throw new RejectedFailureReportException("RetryAfterSeconds is negative.");
        if (report.OccurredAt > receivedAt + LargestClockSkew)
            throw new RejectedFailureReportException(
                $"OccurredAt {report.OccurredAt:O} is more than {LargestClockSkew.TotalMinutes} minutes after it was received ({receivedAt:O}): the producer's clock is wrong.");

        return report with
        {
            AgentName = agentName,
            // PostgreSQL's timestamptz takes UTC only: an offset a producer gives is honoured, then dropped.
            OccurredAt = report.OccurredAt.ToUniversalTime(),
            ExecutionId = SecretRedaction.ScrubAndTruncate(report.ExecutionId, ExecutionIdLimit),
            ErrorMessage = SecretRedaction.ScrubAndTruncate(report.ErrorMessage, ReportSubscriptionFailure.ErrorMessageLimit),
            RetryAfterSeconds = report.RetryAfterSeconds is { } seconds
                ? (int)Math.Min(seconds, SubscriptionCooldown.LongestRetryAfter.TotalSeconds)
                : null,
        };
    }
}
