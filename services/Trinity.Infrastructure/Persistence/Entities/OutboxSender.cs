namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>
/// A process that sends outbox rows, and when it last said it was alive (the database's clock, so replicas' clocks
/// never matter). The rows it claimed are its own while it beats; once it stops, any relay takes them.
/// </summary>
public sealed class OutboxSender
{
    public Guid Id { get; set; }
    public DateTimeOffset SeenAt { get; set; }
}
