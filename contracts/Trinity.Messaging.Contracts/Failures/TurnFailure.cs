using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Messaging.Contracts.Failures;

/// <summary>
/// What a chat executor or scheduler knows when a turn fails: the agent, the status and error text the CLI
/// gave, and which subscription the turn ran on — its id, or the fingerprint of the token the turn started
/// with (never the token).
/// </summary>
public sealed record TurnFailure
{
    public required string AgentName { get; init; }
    public required FailureSource Source { get; init; }
    public int? StatusCode { get; init; }
    public string? ErrorMessage { get; init; }
    public Guid? SubscriptionId { get; init; }
    public string? TokenFingerprint { get; init; }
    public string? ExecutionId { get; init; }
    public int? RetryAfterSeconds { get; init; }
    public DateTimeOffset? OccurredAt { get; init; }
}
