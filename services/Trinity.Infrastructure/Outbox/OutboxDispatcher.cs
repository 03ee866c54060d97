using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.Infrastructure.Outbox;

/// <summary>
/// Publishes outbox rows with their own MessageId (publisher confirms, several in flight). Used by
/// <see cref="OutboxWriter"/> right after its commit and by <see cref="OutboxRelay"/> for what was left behind;
/// nothing else sends from the outbox.
/// </summary>
sealed class OutboxDispatcher(IBus bus, IServiceScopeFactory scopes, ILogger<OutboxDispatcher> logger)
{
    public async Task DispatchAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        var message = MessageTypes.Deserialize(row);
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
    /// Publishes committed rows, then deletes them in a scope of its own (usable after the writer's context is
    /// gone). A crash or a failure in between leaves them to the relay, which publishes them again with the same
    /// MessageId (at least once, as always with an outbox).
    /// </summary>
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
