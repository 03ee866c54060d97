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

    /// <summary>How the hot-reload's outcome is known: observed (a fingerprint, from the agent or its override file) or only acknowledged.</summary>
    public ReloadVerification? Verification { get; set; }
    public RotationOutcome Outcome { get; set; }
    public string? OutcomeDetail { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The W3C trace id of the span that decided the rotation: the one trace that follows it through every service.</summary>
    public string? TraceId { get; set; }
}

public enum RotationOutcome
{
    InProgress = 0,
    Succeeded = 1,
    Failed = 2,
}

public enum ReloadVerification
{
    /// <summary>The fingerprint of the token now live was seen: reported by the agent, or read from its override file.</summary>
    Observed = 1,

    /// <summary>The agent answered 200 <c>"reloaded": true</c> and nothing more could be read (a reference agent without a container).</summary>
    Acknowledged = 2,
}
