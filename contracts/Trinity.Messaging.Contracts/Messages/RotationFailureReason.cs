using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

[JsonConverter(typeof(KebabCaseEnumConverter<RotationFailureReason>))]
public enum RotationFailureReason
{
    /// <summary>The agent refused the reload (400/401): a bug or a wrong control key, never hidden by a recreate.</summary>
    Rejected = 1,

    /// <summary>The agent answered, but runs another token than the one the database holds.</summary>
    FingerprintMismatch = 2,
    DeadlinePassed = 3,
    FencingTokenStale = 4,
    NoPlacement = 5,
    RecreateFailed = 6,

    /// <summary>A deleted agent's container could not be removed (yet): tried again after the back-off.</summary>
    RemovalFailed = 7,
}
