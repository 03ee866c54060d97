using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>Why a turn failed on its subscription. In JSON and on the command line: rate-limited, authentication-failed, quota-exhausted.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<FailureKind>))]
public enum FailureKind
{
    RateLimited = 1,
    AuthenticationFailed = 2,
    QuotaExhausted = 3,
}
