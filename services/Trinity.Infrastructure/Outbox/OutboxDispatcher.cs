using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trinity.Hosting.Tracing;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.Infrastructure.Outbox;

/// <summary>
/// Publishes outbox rows with their own MessageId (publisher confirms, several in flight), for
/// <see cref="OutboxWriter"/> right after its commit and for <see cref="OutboxRelay"/>. It is this process's sender:
/// the rows this process writes are claimed with <see cref="InstanceId"/> and sent by their writer alone, unless
/// the writer gives them up (<see cref="GivenUp"/>), so no relay — its own or another replica's — sends them too.
/// </summary>
sealed class OutboxDispatcher(IBus bus, IServiceScopeFactory scopes, ILogger<OutboxDispatcher> logger)
{
    readonly ConcurrentDictionary<Guid, byte> _givenUp = new();

    /// <summary>This process as a sender: new at every start, so a restarted process never owns a dead one's rows.</summary>
    public Guid InstanceId { get; } = NewId.NextGuid();

    /// <summary>Rows of this process that their writer could neither send nor hand back in the database: this process's relay sends them.</summary>
    public ICollection<Guid> GivenUp => _givenUp.Keys;

    /// <summary>The writer will not send these (its commit failed midway, say): if they were committed, this process's relay does.</summary>
    public void GiveUp(IEnumerable<Guid> messageIds)
    {
        foreach (var messageId in messageIds)
            _givenUp.TryAdd(messageId, 0);
    }

    public void Relayed(Guid messageId) => _givenUp.TryRemove(messageId, out _);

    /// <exception cref="UnsendableOutboxMessageException">The row's type is unknown here or its body does not read as the contract.</exception>
    public async Task DispatchAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        // The send is a child of the span that wrote the row, whether the writer sends it now or a relay much later;
        // a row that cannot be read or sent ends it in error, so the trace shows where the rotation stopped.
        using var span = TrinityActivities.StartContinuing("outbox send", row.TraceParent, ActivityKind.Producer);
        span?.SetTag("messaging.message.id", row.MessageId.ToString());
        try
        {
            await DispatchAsync(row, MessageTypes.Deserialize(row), cancellationToken);
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
    }

    async Task DispatchAsync(OutboxMessage row, object message, CancellationToken cancellationToken)
    {
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
            // A row written before commands went to their queue's exchange names the queue: a send there would declare
            // the queue without its type, which the broker refuses for a quorum queue. It goes to the exchange too.
            var destination = row.DestinationAddress.StartsWith("queue:", StringComparison.Ordinal) ? $"exchange:{row.DestinationAddress[6..]}" : row.DestinationAddress;
            var endpoint = await bus.GetSendEndpoint(new Uri(destination));
            await endpoint.Send(message, messageType, Pipe.Execute<SendContext>(context =>
            {
                Stamp(context);
                context.MustReachAQueue();
            }), cancellationToken);
        }
    }

    /// <summary>
    /// Sends rows this process committed and claimed, then deletes them, in a scope of its own (usable after the
    /// writer's context is gone). A row that cannot be sent now is given up to any relay; one that can never be sent
    /// is parked. A crash in between leaves the rows to the relays once this process stops beating: at least once, as
    /// always with an outbox, with the same MessageId.
    /// </summary>
    public async Task SendAsync(IReadOnlyList<OutboxMessage> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
            return;
        try
        {
            var outcomes = await Task.WhenAll(rows.Select(row => TryDispatchAsync(row, cancellationToken)));
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
            var sent = rows.Where((_, i) => outcomes[i] is SendOutcome.Sent).Select(r => r.Id).ToList();
            var retry = rows.Where((_, i) => outcomes[i] is SendOutcome.Failed).Select(r => r.Id).ToList();
            await db.OutboxMessages.Where(m => sent.Contains(m.Id)).ExecuteDeleteAsync(cancellationToken);
            if (retry.Count > 0)
            {
                // Handed back: any relay may send them now.
                await db.OutboxMessages.Where(m => retry.Contains(m.Id)).ExecuteUpdateAsync(m => m.SetProperty(x => x.ClaimedBy, (Guid?)null), cancellationToken);
                logger.LogWarning("{Count} committed outbox messages could not be sent at once; the relay will", retry.Count);
            }
            for (var i = 0; i < rows.Count; i++)
                if (outcomes[i] is SendOutcome.Unsendable unsendable)
                    await ParkAsync(db, rows[i], unsendable.Reason, cancellationToken);
        }
        catch (Exception ex)
        {
            // The database did not take the outcome: whatever is still there, this process's relay sends (again, for
            // a row already sent: the same MessageId, at least once).
            GiveUp(rows.Select(r => r.MessageId));
            logger.LogWarning(ex, "Sending {Count} committed outbox messages failed; the relay will", rows.Count);
        }
    }

    /// <summary>One row: sent, failed for now (the broker refused, the connection dropped), or never sendable.</summary>
    public async Task<SendOutcome> TryDispatchAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        try
        {
            await DispatchAsync(row, cancellationToken);
            return new SendOutcome.Sent();
        }
        catch (UnsendableOutboxMessageException unsendable)
        {
            return new SendOutcome.Unsendable(unsendable.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Outbox message {MessageId} ({MessageType}) was not sent: {Error}", row.MessageId, row.MessageType, ex.Message);
            return new SendOutcome.Failed();
        }
    }

    /// <summary>Moves a row that can never be sent aside, with its reason, in <paramref name="db"/>'s transaction (or its own).</summary>
    public async Task ParkAsync(TrinityDbContext db, OutboxMessage row, string reason, CancellationToken cancellationToken)
    {
        await using var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        db.ParkedOutboxMessages.Add(new ParkedOutboxMessage
        {
            Id = row.Id,
            MessageId = row.MessageId,
            MessageType = row.MessageType,
            Body = row.Body,
            DestinationAddress = row.DestinationAddress,
            CorrelationId = row.CorrelationId,
            CreatedAt = row.CreatedAt,
            ParkedAt = DateTimeOffset.UtcNow,
            Reason = reason,
        });
        await db.SaveChangesAsync(cancellationToken);
        await db.OutboxMessages.Where(m => m.Id == row.Id).ExecuteDeleteAsync(cancellationToken);
        if (own is not null)
            await own.CommitAsync(cancellationToken);
        TrinityMetrics.OutboxMessageParked();
        logger.LogError("Outbox message {MessageId} ({MessageType}) can never be sent and was parked: {Reason}", row.MessageId, row.MessageType, reason);
    }
}

abstract record SendOutcome
{
    public sealed record Sent : SendOutcome;
    public sealed record Failed : SendOutcome;
    public sealed record Unsendable(string Reason) : SendOutcome;
}

/// <summary>An outbox row that no retry can send: its type is unknown here, or its body does not read as the contract.</summary>
sealed class UnsendableOutboxMessageException(string reason, Exception? inner = null) : Exception(reason, inner);
