namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>
/// A message written in the same transaction as the state change that produced it. Its writer sends it right after
/// the commit (<c>OutboxWriter.SaveAndSendAsync</c>); the relay sends it only when the writer could not.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    public Guid MessageId { get; set; }

    /// <summary>The contract's message URN, e.g. <c>urn:message:trinity:reload-token</c>.</summary>
    public required string MessageType { get; set; }

    public required string Body { get; set; }

    /// <summary>Null publishes to the message type's exchange; otherwise the queue address a command is sent to.</summary>
    public string? DestinationAddress { get; set; }

    public Guid? CorrelationId { get; set; }
    public Guid? ConversationId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
