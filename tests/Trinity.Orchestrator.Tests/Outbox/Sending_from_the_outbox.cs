using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Tests.Outbox;

/// <summary><see cref="OutboxWriter.SaveAndSendAsync"/> on real PostgreSQL, the in-memory bus for the broker, no relay.</summary>
public sealed class Sending_from_the_outbox(OrchestratorStores stores) : IClassFixture<OrchestratorStores>
{
    [Fact]
    public async Task A_context_that_saves_twice_sends_each_message_once_and_leaves_no_row()
    {
        await using var scope = stores.NewScope();
        var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
        var (first, second) = (Deadline(), Deadline());

        outbox.Publish(first);
        await outbox.SaveAndSendAsync(transaction: null, default);
        outbox.Publish(second);
        await outbox.SaveAndSendAsync(transaction: null, default);

        Assert.Equal((1, 1), (stores.DeadlinesSent.GetValueOrDefault(first.RotationId), stores.DeadlinesSent.GetValueOrDefault(second.RotationId)));
        await using var db = stores.NewDbContext();
        Assert.False(await db.OutboxMessages.AnyAsync());
    }

    [Fact]
    public async Task Staged_messages_commit_with_the_callers_transaction_and_are_sent_only_after_it()
    {
        await using var scope = stores.NewScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
        var message = Deadline();
        var seenAtCommit = -1;

        await using var transaction = await db.Database.BeginTransactionAsync();
        outbox.Publish(message);
        await outbox.SaveAndSendAsync(transaction, default, afterCommit: () =>
        {
            seenAtCommit = SentCount(message);
            return Task.CompletedTask;
        });

        Assert.Equal(0, seenAtCommit);
        Assert.Equal(1, SentCount(message));
    }

    [Fact]
    public async Task A_transaction_not_handed_over_is_refused_before_anything_is_saved()
    {
        await using var scope = stores.NewScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
        var message = Deadline();

        await using var transaction = await db.Database.BeginTransactionAsync();
        outbox.Publish(message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => outbox.SaveAndSendAsync(transaction: null, default));
        await transaction.RollbackAsync();

        Assert.Equal(0, SentCount(message));
    }

    int SentCount(RotationDeadlinePassed message) => stores.DeadlinesSent.GetValueOrDefault(message.RotationId);

    static RotationDeadlinePassed Deadline() => new() { RotationId = NewId.NextGuid(), AgentName = "alpha", Deadline = DateTimeOffset.UtcNow };
}
