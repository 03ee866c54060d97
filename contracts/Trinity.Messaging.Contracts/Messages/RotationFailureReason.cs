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

    /// <summary>
    /// What would need a new container (a reload that could not land, a change of auth mode) on an agent this system
    /// does not manage: it reloads an unmanaged agent but never starts or recreates it.
    /// </summary>
    CannotRecreate = 8,
}
