using System.Text.Json;
using MassTransit;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Infrastructure.Outbox;

/// <summary>
/// Stages messages in the current <see cref="TrinityDbContext"/>, so they commit with the state change that
/// produced them; <see cref="OutboxRelay"/> publishes them after the commit. A crash between commit and
/// publish loses nothing.
/// </summary>
public sealed class OutboxWriter(TrinityDbContext db, TimeProvider clock)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Publish<T>(T message, Guid? correlationId = null)
        where T : class => Add(message, destination: null, correlationId);

    public void Send<T>(Uri destination, T message, Guid? correlationId = null)
        where T : class => Add(message, destination.ToString(), correlationId);

    public static object Deserialize(OutboxMessage row) =>
        JsonSerializer.Deserialize(row.Body, MessageTypes.TypeOf(row.MessageType), Json)
        ?? throw new InvalidOperationException($"Outbox message {row.MessageId} has an empty body.");

    void Add<T>(T message, string? destination, Guid? correlationId)
        where T : class =>
        db.OutboxMessages.Add(new OutboxMessage
        {
            MessageId = NewId.NextGuid(),
            MessageType = MessageTypes.UrnOf(typeof(T)),
            Body = JsonSerializer.Serialize(message, Json),
            DestinationAddress = destination,
            CorrelationId = correlationId,
            CreatedAt = clock.GetUtcNow(),
        });
}
