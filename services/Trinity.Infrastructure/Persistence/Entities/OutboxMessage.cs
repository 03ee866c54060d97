namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>
/// A message written in the same transaction as the state change that produced it, claimed by the process that
/// wrote it: that process sends it right after the commit (<c>OutboxWriter.SaveAndSendAsync</c>); a relay takes it
/// only once the claim is given up or its process has stopped beating (<see cref="OutboxSender"/>).
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

    /// <summary>The sending process (<see cref="OutboxSender.Id"/>) that alone may send the row; null: any relay may.</summary>
    public Guid? ClaimedBy { get; set; }

    public Guid? CorrelationId { get; set; }
    public Guid? ConversationId { get; set; }

    /// <summary>The W3C <c>traceparent</c> of the span that wrote the row: whoever sends it, and however late, continues that trace.</summary>
    public string? TraceParent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
