using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// A turn failed on its subscription. Sent by chat executors, the scheduler and the API to the failure intake,
/// which validates, de-duplicates and resolves the subscription. Carries the turn's start fingerprint, never a token.
/// </summary>
[EntityName(EntityNames.FailureIntake)]
[MessageUrn("trinity:report-subscription-failure")]
public sealed record ReportSubscriptionFailure
{
    /// <summary>How much of an error message a report carries.</summary>
    public const int ErrorMessageLimit = 500;

    public required Guid FailureId { get; init; }
    public required string AgentName { get; init; }

    /// <summary>The subscription the failing turn ran on, when the producer knows it.</summary>
    public Guid? SubscriptionId { get; init; }

    /// <summary>Otherwise the fingerprint of the token the turn started with.</summary>
    public string? TokenFingerprint { get; init; }

    public required FailureKind Kind { get; init; }
    public required FailureSource Source { get; init; }
    public string? ExecutionId { get; init; }
    public int? StatusCode { get; init; }

    /// <summary>Truncated, with anything that looks like a token scrubbed, before it is sent.</summary>
    public string? ErrorMessage { get; init; }

    public int? RetryAfterSeconds { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
