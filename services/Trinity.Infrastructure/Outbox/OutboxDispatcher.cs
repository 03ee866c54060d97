using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Infrastructure.Outbox;

/// <summary>
/// Publishes outbox rows with their own MessageId. Whoever commits rows sends them at once with
/// <see cref="DispatchCommittedAsync"/>; <see cref="OutboxRelay"/> sends only what was left behind (a crash
/// between the commit and the send, a broker that refused).
/// </summary>
public sealed class OutboxDispatcher(IBus bus, IServiceScopeFactory scopes, ILogger<OutboxDispatcher> logger)
{
    public async Task DispatchAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        var message = OutboxWriter.Deserialize(row);
        var messageType = message.GetType();

        void Stamp(SendContext context)
        {
            context.MessageId = row.MessageId;
            context.CorrelationId = row.CorrelationId;
            context.ConversationId = row.ConversationId ?? context.ConversationId;
        }

        if (row.DestinationAddress is null)
        {
            await bus.Publish(message, messageType, Pipe.Execute<PublishContext>(Stamp), cancellationToken);
        }
        else
        {
            var endpoint = await bus.GetSendEndpoint(new Uri(row.DestinationAddress));
            await endpoint.Send(message, messageType, Pipe.Execute<SendContext>(Stamp), cancellationToken);
        }
    }

    /// <summary>
    /// The rows this context staged and has committed: published now, then deleted. A crash or a failure in
    /// between leaves them to the relay, which publishes them again with the same MessageId (at least once, as
    /// always with the outbox). Call it after the commit, never inside the transaction.
    /// </summary>
    public Task DispatchCommittedAsync(TrinityDbContext db, CancellationToken cancellationToken) => SendAsync(Committed(db), cancellationToken);

    /// <summary>The outbox rows a context has committed (saved, and still tracked).</summary>
    public static IReadOnlyList<OutboxMessage> Committed(TrinityDbContext db) =>
        db.ChangeTracker.Entries<OutboxMessage>().Where(e => e.State == EntityState.Unchanged).Select(e => e.Entity).ToList();

    /// <summary>Publishes committed rows and deletes them in a scope of its own: usable after the writer's context is gone.</summary>
    public async Task SendAsync(IReadOnlyList<OutboxMessage> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
            return;
        try
        {
            await Task.WhenAll(rows.Select(row => DispatchAsync(row, cancellationToken)));
            var ids = rows.Select(r => r.Id).ToList();
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<TrinityDbContext>().OutboxMessages.Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Publishing {Count} committed outbox messages at once failed; the relay will", rows.Count);
        }
    }
}
