using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Trinity.Hosting.Tracing;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.Infrastructure.Outbox;

/// <summary>
/// The one way anything is sent from a state change: stage messages with <see cref="Publish{T}"/> and
/// <see cref="Send{T}"/> in the current <see cref="TrinityDbContext"/>, then <see cref="SaveAndSendAsync"/>
/// commits them with the change and sends them. A crash between the commit and the send loses nothing: once this
/// process stops beating, an <see cref="OutboxRelay"/> sends what was left behind, with the same MessageId.
/// </summary>
public sealed class OutboxWriter
{
    readonly TrinityDbContext _db;
    readonly OutboxDispatcher _dispatcher;
    readonly TimeProvider _clock;

    internal OutboxWriter(TrinityDbContext db, OutboxDispatcher dispatcher, TimeProvider clock) => (_db, _dispatcher, _clock) = (db, dispatcher, clock);

    /// <param name="traceParent">The trace the message continues, when it is not the current one (a report recorded in a group).</param>
    public void Publish<T>(T message, Guid? correlationId = null, string? traceParent = null)
        where T : class => Add(message, destination: null, correlationId, traceParent);

    public void Send<T>(Uri destination, T message, Guid? correlationId = null)
        where T : class => Add(message, destination.ToString(), correlationId, traceParent: null);

    /// <summary>
    /// Saves the context's changes with the staged messages, commits <paramref name="transaction"/> (the caller's, or
    /// none: the save is its own transaction), runs <paramref name="afterCommit"/>, then sends the messages and
    /// deletes their rows. The rows are claimed by this process, so no relay sends them while it does; a row that
    /// cannot be sent now is handed back to the relays.
    /// </summary>
    /// <param name="afterCommit">Runs once the rows are committed, before they are sent: the intake answers its consumers there; the crash tests kill the process there.</param>
    /// <param name="waitForSend">False returns once the rows are committed and sends them in the background (the intake records its next group meanwhile).</param>
    public async Task SaveAndSendAsync(IDbContextTransaction? transaction, CancellationToken cancellationToken, Func<Task>? afterCommit = null, bool waitForSend = true)
    {
        if (_db.Database.CurrentTransaction != transaction)
            throw new InvalidOperationException("The context's open transaction is not the one handed to the outbox: the rows would commit with something else.");
        // Staged in this unit of work: still to be saved, or saved already (a saga's transition saves before its commit).
        var staged = _db.ChangeTracker.Entries<OutboxMessage>().Where(e => e.State is EntityState.Added or EntityState.Unchanged).Select(e => e.Entity).ToList();
        try
        {
            await _db.SaveChangesAsync(cancellationToken);
            if (transaction is not null)
                await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            // Committed or not, nobody can tell from here: if the rows are there, this process's relay sends them.
            _dispatcher.GiveUp(staged.Select(row => row.MessageId));
            throw;
        }
        if (afterCommit is not null)
            await afterCommit();

        // No longer tracked once handed on, so a context that saves again (a loop over due deadlines, say) never
        // sends a row twice.
        foreach (var row in staged)
            _db.Entry(row).State = EntityState.Detached;
        var sending = _dispatcher.SendAsync(staged, cancellationToken);
        if (waitForSend)
            await sending;
    }

    void Add<T>(T message, string? destination, Guid? correlationId, string? traceParent)
        where T : class =>
        _db.OutboxMessages.Add(new OutboxMessage
        {
            MessageId = NewId.NextGuid(),
            MessageType = MessageTypes.UrnOf(typeof(T)),
            Body = MessageTypes.Serialize(message),
            DestinationAddress = destination,
            ClaimedBy = _dispatcher.InstanceId,
            CorrelationId = correlationId,
            TraceParent = traceParent ?? TrinityActivities.CurrentParent(),
            CreatedAt = _clock.GetUtcNow(),
        });
}
