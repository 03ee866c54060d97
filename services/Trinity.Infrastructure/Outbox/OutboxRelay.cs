using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.Infrastructure.Outbox;

/// <summary>
/// The safety net of the outbox. It says this process is alive (<see cref="OutboxSender"/>, on the database's clock)
/// once before anything else starts and then on a beat of its own — never only between passes, or a relay busy with a
/// slow batch would look dead and another would send what this process's writers are still sending. Every poll it
/// sends what no live sender owns: rows handed back (the broker refused their writer), rows
/// of a process that stopped beating (it crashed between its commit and its send), and rows of this process that
/// their writer gave up. A row is handed to one sender by that claim, never by its age, so a slow send or
/// replicas whose clocks differ never make two senders of one row; relays of several replicas claim with
/// <c>FOR UPDATE SKIP LOCKED</c>. A row that can never be sent is parked, and never blocks those behind it.
/// </summary>
sealed class OutboxRelay(
    IServiceScopeFactory scopes,
    OutboxDispatcher dispatcher,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    /// <summary>Alive before this process's consumers start and its writers claim rows (the relay is registered before the bus).</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await BeatAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("The outbox relay's first beat failed ({Error}); it beats again shortly", ex.Message);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var beating = BeatWhileRunningAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RelayBatchAsync(stoppingToken) == options.Value.BatchSize)
                {
                }
                await Task.Delay(options.Value.PollInterval, stoppingToken);
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
        await beating;
    }

    async Task BeatWhileRunningAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SenderTimeout / 4 < options.Value.PollInterval ? options.Value.SenderTimeout / 4 : options.Value.PollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await BeatAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Outbox heartbeat failed ({Error}); beating again", ex.Message);
            }
            await Task.Delay(interval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>A process that stops cleanly gives up its claims at once: what it did not send, another sends now.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<TrinityDbContext>().OutboxSenders
                .Where(s => s.Id == dispatcher.InstanceId).ExecuteDeleteAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Giving up this process's outbox claims at stop failed ({Error}); they lapse in {Timeout}", ex.Message, options.Value.SenderTimeout);
        }
    }

    async Task BeatAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO outbox_senders (id, seen_at) VALUES ({dispatcher.InstanceId}, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()", cancellationToken);
        // Housekeeping: senders gone for a day are forgotten (their rows are anyone's either way).
        await db.Database.ExecuteSqlAsync($"DELETE FROM outbox_senders WHERE seen_at < now() - interval '1 day'", cancellationToken);
        TrinityMetrics.OutboxMessagesPending(await db.OutboxMessages.CountAsync(cancellationToken));
    }

    async Task<int> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        var me = dispatcher.InstanceId;
        var givenUp = dispatcher.GivenUp.ToArray();
        var rows = await db.OutboxMessages
            .FromSql($"""
                SELECT m.* FROM outbox_messages m
                WHERE m.claimed_by IS NULL
                   OR (m.claimed_by = {me} AND m.message_id = ANY ({givenUp}))
                   OR (m.claimed_by <> {me} AND NOT EXISTS (
                       SELECT 1 FROM outbox_senders s WHERE s.id = m.claimed_by AND s.seen_at > now() - {options.Value.SenderTimeout}))
                ORDER BY m.id LIMIT {options.Value.BatchSize}
                FOR UPDATE OF m SKIP LOCKED
                """)
            .ToListAsync(cancellationToken);
        if (rows.Count == 0)
            return 0;

        // Several confirms in flight at once: awaiting them one by one caps publishing near 650/s.
        var outcomes = await Task.WhenAll(rows.Select(row => dispatcher.TryDispatchAsync(row, cancellationToken)));
        for (var i = 0; i < rows.Count; i++)
        {
            switch (outcomes[i])
            {
                case SendOutcome.Sent:
                    db.OutboxMessages.Remove(rows[i]);
                    dispatcher.Relayed(rows[i].MessageId);
                    break;
                case SendOutcome.Unsendable unsendable:
                    await dispatcher.ParkAsync(db, rows[i], unsendable.Reason, cancellationToken);
                    break;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogDebug("Relayed {Count} outbox messages", outcomes.Count(o => o is SendOutcome.Sent));
        // A batch whose rows all failed for now ends the pass: the next poll tries again.
        return outcomes.Any(o => o is SendOutcome.Sent or SendOutcome.Unsendable) ? rows.Count : 0;
    }
}
