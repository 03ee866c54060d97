using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Logging;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Consumers;

/// <summary>
/// The failure intake: validates a report, drops a duplicate by FailureId, resolves the subscription the
/// failing turn ran on (given, or by the fingerprint its turn started with — old key versions included; never
/// guessed from the agent's current subscription, which would misattribute a late report), records it, and
/// publishes <see cref="SubscriptionFailureReported"/> through the outbox. A report it refuses goes to
/// <c>_error</c> with the reason.
/// </summary>
public sealed class FailureIntakeConsumer(
    TrinityDbContext db,
    OutboxWriter outbox,
    OutboxSignal outboxSignal,
    TimeProvider clock,
    ILogger<FailureIntakeConsumer> logger) : IConsumer<ReportSubscriptionFailure>
{
    public async Task Consume(ConsumeContext<ReportSubscriptionFailure> context)
    {
        var report = context.Message;
        var agentName = AgentName.Normalize(report.AgentName);
        if (report.FailureId == Guid.Empty)
            throw new RejectedFailureReportException("FailureId is required.");
        if (!Enum.IsDefined(report.Kind))
            throw new RejectedFailureReportException($"Kind '{report.Kind}' is not one of rate-limited, authentication-failed, quota-exhausted.");

        if (await db.Failures.AnyAsync(f => f.Id == report.FailureId, context.CancellationToken))
        {
            logger.LogInformation("Failure {FailureId} of agent {AgentName} was already reported: dropped", report.FailureId, agentName);
            return;
        }

        var subscriptionId = await ResolveSubscriptionAsync(report, context.CancellationToken);
        var record = new FailureRecord
        {
            Id = report.FailureId,
            AgentName = agentName,
            SubscriptionId = subscriptionId,
            Kind = report.Kind,
            Source = report.Source,
            ExecutionId = report.ExecutionId,
            StatusCode = report.StatusCode,
            ErrorMessage = SecretRedaction.ScrubAndTruncate(report.ErrorMessage, ReportSubscriptionFailure.ErrorMessageLimit),
            RetryAfterSeconds = report.RetryAfterSeconds,
            OccurredAt = report.OccurredAt,
            RecordedAt = clock.GetUtcNow(),
        };
        db.Failures.Add(record);
        await db.EnsureExistsAsync(agentName, context.CancellationToken);
        outbox.Publish(new SubscriptionFailureReported
        {
            FailureId = record.Id,
            AgentName = agentName,
            SubscriptionId = subscriptionId,
            Kind = report.Kind,
            Source = report.Source,
            ExecutionId = report.ExecutionId,
            RetryAfterSeconds = report.RetryAfterSeconds,
            OccurredAt = report.OccurredAt,
        }, AgentIdentity.For(agentName));

        // A concurrent duplicate fails here on the primary key and is retried, then dropped above.
        await db.SaveChangesAsync(context.CancellationToken);
        outboxSignal.Notify();
        logger.LogInformation("Failure {FailureId}: agent {AgentName}, {Kind} on {SubscriptionId} from {Source}",
            record.Id, agentName, report.Kind, subscriptionId, report.Source);
    }

    async Task<Guid> ResolveSubscriptionAsync(ReportSubscriptionFailure report, CancellationToken cancellationToken)
    {
        if (report.SubscriptionId is { } given)
        {
            return await db.Subscriptions.AnyAsync(s => s.Id == given, cancellationToken)
                ? given
                : throw new RejectedFailureReportException($"Subscription {given} does not exist.");
        }

        if (!TokenFingerprint.IsWellFormed(report.TokenFingerprint))
            throw new RejectedFailureReportException("Neither SubscriptionId nor a well-formed TokenFingerprint (12 lower-case hex characters) was given; the subscription is never guessed.");

        var matches = await db.SubscriptionKeys
            .Where(k => k.TokenFingerprint == report.TokenFingerprint)
            .Select(k => k.SubscriptionId)
            .Distinct()
            .ToListAsync(cancellationToken);
        return matches.Count == 1
            ? matches[0]
            : throw new RejectedFailureReportException(matches.Count == 0
                ? $"No subscription key has the fingerprint {report.TokenFingerprint}."
                : $"The fingerprint {report.TokenFingerprint} matches {matches.Count} subscriptions; report the SubscriptionId.");
    }
}

/// <summary>A failure report that can never be processed; it goes to <c>_error</c> at once, with this reason.</summary>
public sealed class RejectedFailureReportException(string reason) : Exception($"Failure report refused: {reason}");
