namespace Trinity.Infrastructure.Configuration;

/// <summary>Section <c>Trinity:Outbox</c>: the relay, which sends what writers left behind.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Trinity:Outbox";

    /// <summary>How often the relay looks for rows left behind.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A row younger than this is its writer's to send (<c>OutboxWriter.SaveAndSendAsync</c>): the relay leaves it
    /// alone, so the two do not both publish it.
    /// </summary>
    public TimeSpan LeftBehindAfter { get; set; } = TimeSpan.FromSeconds(2);

    public int BatchSize { get; set; } = 200;
}
