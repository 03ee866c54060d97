namespace Trinity.Demo;

/// <summary>One turn as the demo's chat executor saw it.</summary>
public sealed class DemoTurn
{
    public required string Agent { get; init; }
    public required Guid Id { get; init; }
    public required string? Fingerprint { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Completed, RateLimited, Failed, KilledBySignal — or Lost when its container stopped answering for it.</summary>
    public string? Ending { get; set; }

    public bool Reported { get; set; }
}
