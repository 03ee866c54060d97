using MassTransit;
using Trinity.Infrastructure.Observability;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;

namespace Trinity.Orchestrator.Intake;

/// <summary>Counts the reports the intake sends to <c>_error</c>, by reason, for <c>trinity_intake_rejected_total</c> (observes the bus, counts only the intake queue).</summary>
public sealed class IntakeRejectCounter : IReceiveObserver
{
    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class
    {
        if (!IsIntake(context.ReceiveContext))
            return Task.CompletedTask;
        TrinityMetrics.IntakeRejected(exception switch
        {
            RejectedFailureReportException => "refused",
            InvalidAgentNameException => "invalid-agent-name",
            _ => "fault",
        });
        return Task.CompletedTask;
    }

    /// <summary>A body that is not a report at all (not JSON, or missing what the contract requires).</summary>
    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        if (IsIntake(context))
            TrinityMetrics.IntakeRejected("malformed");
        return Task.CompletedTask;
    }

    static bool IsIntake(ReceiveContext context) =>
        context.InputAddress.AbsolutePath.EndsWith("/" + EntityNames.Queues.FailureIntake, StringComparison.Ordinal);
}
