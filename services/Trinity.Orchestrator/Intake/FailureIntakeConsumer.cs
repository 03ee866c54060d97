using MassTransit;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Intake;

/// <summary>
/// The failure intake: validates a report, then has <see cref="FailureIntake"/> record it with the reports
/// arriving alongside (drop a duplicate FailureId, resolve the subscription, publish
/// <see cref="SubscriptionFailureReported"/> through the outbox unless a burst is already being acted on).
/// A report it refuses goes to <c>_error</c> with the reason.
/// </summary>
public sealed class FailureIntakeConsumer(FailureIntake intake) : IConsumer<ReportSubscriptionFailure>
{
    public Task Consume(ConsumeContext<ReportSubscriptionFailure> context)
    {
        var report = context.Message;
        if (report.FailureId == Guid.Empty)
            throw new RejectedFailureReportException("FailureId is required.");
        if (!Enum.IsDefined(report.Kind))
            throw new RejectedFailureReportException($"Kind '{report.Kind}' is not one of rate-limited, authentication-failed, quota-exhausted.");
        AgentName.Normalize(report.AgentName);
        return intake.RecordAsync(report, context.CancellationToken);
    }
}
