namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>
/// An outbox row that can never be sent (its type is unknown here, or its body no longer reads as the contract),
/// moved aside with the reason so that it never holds back the rows behind it. An operator looks at it with
/// <c>./trinity bus outbox</c>; nothing sends it again by itself.
/// </summary>
public sealed class ParkedOutboxMessage
{
    /// <summary>The row's id in <c>outbox_messages</c>.</summary>
    public long Id { get; set; }
    public Guid MessageId { get; set; }
    public required string MessageType { get; set; }
    public required string Body { get; set; }
    public string? DestinationAddress { get; set; }
    public Guid? CorrelationId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ParkedAt { get; set; }
    public required string Reason { get; set; }
}
