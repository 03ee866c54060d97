using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>The intake accepted a failure report and resolved the subscription the failing turn ran on.</summary>
[EntityName("trinity.subscription-failure-reported")]
[MessageUrn("trinity:subscription-failure-reported")]
public sealed record SubscriptionFailureReported
{
    public required Guid FailureId { get; init; }
    public required string AgentName { get; init; }

    /// <summary>The subscription the failing turn ran on — not necessarily the agent's current one.</summary>
    public required Guid SubscriptionId { get; init; }

    /// <summary>The key version the failing turn ran on, when the intake could tell (from its fingerprint, else its time).</summary>
    public int? KeyVersion { get; init; }

    public required FailureKind Kind { get; init; }
    public required FailureSource Source { get; init; }
    public string? ExecutionId { get; init; }
    public int? RetryAfterSeconds { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
