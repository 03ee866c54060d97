using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.Infrastructure.Outbox;

/// <summary>
/// The safety net of the outbox: publishes committed rows their writer left behind (it crashed between its
/// commit and its send, or the broker refused) with publisher confirms, then deletes them. Rows are claimed with
/// <c>FOR UPDATE SKIP LOCKED</c>, so relays in several replicas never publish the same row twice concurrently; a
/// crash after the broker's confirm and before the delete republishes the same MessageId (consumers treat a
/// redelivery as harmless).
/// </summary>
sealed class OutboxRelay(
    IServiceScopeFactory scopes,
    OutboxDispatcher dispatcher,
    TimeProvider clock,
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
                await Task.Delay(options.Value.PollInterval, clock, stoppingToken);
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
            .FromSql($"SELECT * FROM outbox_messages WHERE created_at < {clock.GetUtcNow() - options.Value.LeftBehindAfter} ORDER BY id LIMIT {options.Value.BatchSize} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
            return 0;

        // Several confirms in flight at once: awaiting them one by one caps publishing near 650/s.
        await Task.WhenAll(rows.Select(row => dispatcher.DispatchAsync(row, cancellationToken)));

        db.OutboxMessages.RemoveRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogDebug("Relayed {Count} outbox messages", rows.Count);
        return rows.Count;
    }
}
