using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Infrastructure.Outbox;

public sealed class OutboxOptions
{
    public const string Section = "Trinity:Outbox";

    /// <summary>How often the relay looks for rows it was not told about (another replica crashed, say).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public int BatchSize { get; set; } = 200;
}

/// <summary>
/// Publishes committed outbox rows to RabbitMQ with publisher confirms, then deletes them. Rows are claimed
/// with <c>FOR UPDATE SKIP LOCKED</c>, so relays in several replicas never publish the same row twice
/// concurrently; a crash after the broker's confirm and before the delete republishes the same MessageId
/// (consumers treat a redelivery as harmless).
/// </summary>
public sealed class OutboxRelay(
    IServiceScopeFactory scopes,
    IBus bus,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RelayBatchAsync(stoppingToken) == options.Value.BatchSize)
                {
                }
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Outbox relay failed; retrying");
                await Task.Delay(options.Value.PollInterval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        var rows = await db.OutboxMessages
            .FromSql($"SELECT * FROM outbox_messages ORDER BY id LIMIT {options.Value.BatchSize} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
            return 0;

        // Several confirms in flight at once: awaiting them one by one caps publishing near 650/s.
        await Task.WhenAll(rows.Select(row => DispatchAsync(row, cancellationToken)));

        db.OutboxMessages.RemoveRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogDebug("Relayed {Count} outbox messages", rows.Count);
        return rows.Count;
    }

    async Task DispatchAsync(OutboxMessage row, CancellationToken cancellationToken)
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
}
