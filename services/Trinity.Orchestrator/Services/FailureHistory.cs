using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Services;

public static class FailureHistory
{
    /// <summary>The intake's record of the failure, to write the decision on; created when the event came another way.</summary>
    public static async Task<FailureRecord> RecordAsync(TrinityDbContext db, SubscriptionFailureReported failure, TimeProvider clock)
    {
        var record = await db.Failures.FindAsync(failure.FailureId);
        if (record is not null)
            return record;
        record = new FailureRecord
        {
            Id = failure.FailureId,
            AgentName = failure.AgentName,
            SubscriptionId = failure.SubscriptionId,
            Kind = failure.Kind,
            Source = failure.Source,
            ExecutionId = failure.ExecutionId,
            RetryAfterSeconds = failure.RetryAfterSeconds,
            OccurredAt = failure.OccurredAt,
            RecordedAt = clock.GetUtcNow(),
        };
        db.Failures.Add(record);
        return record;
    }

    /// <summary>A recorded failure as the event it came from, to decide it again once a rotation in flight has ended.</summary>
    public static SubscriptionFailureReported ToEvent(FailureRecord record) => new()
    {
        FailureId = record.Id,
        AgentName = record.AgentName,
        SubscriptionId = record.SubscriptionId,
        Kind = record.Kind,
        Source = record.Source,
        ExecutionId = record.ExecutionId,
        RetryAfterSeconds = record.RetryAfterSeconds,
        OccurredAt = record.OccurredAt,
    };
}
