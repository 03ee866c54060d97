namespace Trinity.Infrastructure.Configuration;

/// <summary>Section <c>Trinity:Outbox</c>: the relay, which sends what writers left behind.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Trinity:Outbox";

    /// <summary>How often the relay says this process is alive and looks for rows left behind.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A process that has not said it is alive for this long has stopped: the rows it claimed are any relay's to
    /// send. Only a crash (or a process cut from the database this long) leaves claimed rows behind.
    /// </summary>
    public TimeSpan SenderTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public int BatchSize { get; set; } = 200;
}
