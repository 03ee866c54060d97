using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>
/// A failure report as the intake accepted it, and what the state machine decided about it. Never deleted by
/// a switch: clearing history made an exhausted subscription look viable and two exhausted subscriptions
/// ping-pong.
/// </summary>
public sealed class FailureRecord
{
    public Guid Id { get; set; }
    public required string AgentName { get; set; }
    public Guid SubscriptionId { get; set; }
    public FailureKind Kind { get; set; }
    public FailureSource Source { get; set; }
    public string? ExecutionId { get; set; }
    public int? StatusCode { get; set; }
    public string? ErrorMessage { get; set; }
    public int? RetryAfterSeconds { get; set; }

    /// <summary>The key version the failing turn ran on, when it can be told (its fingerprint, else its time).</summary>
    public int? KeyVersion { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset RecordedAt { get; set; }

    /// <summary>Set by the state machine: switched, stale, exhausted, ignored mid-rotation, auto-switch disabled…</summary>
    public string? Decision { get; set; }

    public Guid? RotationId { get; set; }
}
