using MassTransit;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Messaging.Contracts.Failures;

/// <summary>
/// The helper a .NET chat executor calls when a turn fails: it classifies the failure with the same rules as
/// <c>POST /api/failures</c>, scrubs and truncates the error text, and publishes the report to the failure
/// intake. A failure that is not the subscription's fault (a killed process, an ordinary error) is not sent.
/// </summary>
public static class SubscriptionFailureReports
{
    /// <returns>The report to send, or null with the reason the failure is not the subscription's fault.</returns>
    /// <exception cref="ArgumentException">The agent name is not a DNS label, or neither the subscription nor a fingerprint is given.</exception>
    public static ReportSubscriptionFailure? FromTurn(TurnFailure failure, out string? notASubscriptionFailure, Func<string, string>? scrub = null)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.SubscriptionId is null && !TokenFingerprint.IsWellFormed(failure.TokenFingerprint))
            throw new ArgumentException("The subscription the turn ran on, or the fingerprint of the token it started with, is required.", nameof(failure));
        var agentName = AgentName.Normalize(failure.AgentName);

        var (kind, reason) = FailureClassifier.Classify(failure.StatusCode, failure.ErrorMessage);
        notASubscriptionFailure = reason;
        if (kind is null)
            return null;

        return new ReportSubscriptionFailure
        {
            FailureId = Guid.NewGuid(),
            AgentName = agentName,
            SubscriptionId = failure.SubscriptionId,
            TokenFingerprint = failure.SubscriptionId is null ? failure.TokenFingerprint : null,
            Kind = kind.Value,
            Source = failure.Source,
            ExecutionId = failure.ExecutionId,
            StatusCode = failure.StatusCode,
            ErrorMessage = TokenShapedText.ScrubAndTruncate(failure.ErrorMessage, ReportSubscriptionFailure.ErrorMessageLimit, scrub),
            RetryAfterSeconds = failure.RetryAfterSeconds,
            OccurredAt = failure.OccurredAt ?? DateTimeOffset.UtcNow,
        };
    }

    /// <summary>Classifies and, when it is the subscription's fault, publishes the report to the intake exchange.</summary>
    /// <returns>The report sent, or null when the failure is not the subscription's fault.</returns>
    public static async Task<ReportSubscriptionFailure?> ReportTurnFailure(this IPublishEndpoint bus, TurnFailure failure,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bus);
        var report = FromTurn(failure, out _);
        if (report is not null)
            await bus.Publish(report, cancellationToken).ConfigureAwait(false);
        return report;
    }
}
