using MassTransit;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Intake;

/// <summary>
/// The failure intake: admits a report (<see cref="FailureReportAdmission"/>), then has <see cref="FailureIntake"/>
/// record it with the reports arriving alongside (drop a duplicate FailureId, resolve the subscription, publish
/// <see cref="SubscriptionFailureReported"/> through the outbox unless a burst is already being acted on).
/// A report it refuses goes to <c>_error</c> with the reason.
/// </summary>
public sealed class FailureIntakeConsumer(FailureIntake intake, TimeProvider clock) : IConsumer<ReportSubscriptionFailure>
{
    public Task Consume(ConsumeContext<ReportSubscriptionFailure> context) =>
        intake.RecordAsync(FailureReportAdmission.Admit(context.Message, clock.GetUtcNow()), context.CancellationToken);
}
