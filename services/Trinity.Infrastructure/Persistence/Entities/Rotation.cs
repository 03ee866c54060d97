using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>One rotation of an agent's credentials, from decision to outcome: the answer to "why did agent X move to Y at 14:02?".</summary>
public sealed class Rotation
{
    public Guid Id { get; set; }
    public required string AgentName { get; set; }
    public SwitchTrigger Trigger { get; set; }
    public Guid? FromSubscriptionId { get; set; }
    public Guid? ToSubscriptionId { get; set; }
    public int? KeyVersion { get; set; }
    public long FencingToken { get; set; }

    /// <summary>The failure, request or rollover that caused it.</summary>
    public Guid? CausationId { get; set; }

    public required string Reason { get; set; }
    public string? ExpectedFingerprint { get; set; }
    public string? ObservedFingerprint { get; set; }
    public SwitchMethod? Method { get; set; }
    public RotationOutcome Outcome { get; set; }
    public string? OutcomeDetail { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

public enum RotationOutcome
{
    InProgress = 0,
    Succeeded = 1,
    Failed = 2,
}
