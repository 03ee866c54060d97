using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.History;

/// <summary>Every failure report with the decision taken about it. Never cleared by a switch (design §4 rule 4).</summary>
public sealed class FailureHistory(TrinityDbContext db, TimeProvider clock)
{
    /// <summary>The intake's record of the failure, to write the decision on; created when the event came another way.</summary>
    public async Task<FailureRecord> RecordAsync(SubscriptionFailureReported failure)
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
            KeyVersion = failure.KeyVersion,
            OccurredAt = failure.OccurredAt,
            RecordedAt = clock.GetUtcNow(),
        };
        db.Failures.Add(record);
        return record;
    }

    public async Task<FailureRecord?> FindAsync(Guid failureId, CancellationToken cancellationToken) =>
        await db.Failures.FindAsync([failureId], cancellationToken);

    /// <summary>Of <paramref name="waiting"/>, the failure about <paramref name="subscriptionId"/>, if one is.</summary>
    public async Task<Guid?> FindWaitingAsync(IReadOnlyCollection<Guid> waiting, Guid subscriptionId) =>
        waiting.Count == 0
            ? null
            : db.Failures.Local.FirstOrDefault(f => waiting.Contains(f.Id) && f.SubscriptionId == subscriptionId)?.Id
              ?? await db.Failures.Where(f => waiting.Contains(f.Id) && f.SubscriptionId == subscriptionId).Select(f => (Guid?)f.Id).FirstOrDefaultAsync();

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
        KeyVersion = record.KeyVersion,
        OccurredAt = record.OccurredAt,
    };
}
