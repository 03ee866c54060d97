using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Infrastructure.Persistence;

/// <summary>
/// Which failures cool a subscription down, and until when: the cooldown window after it, or the provider's
/// Retry-After when that is longer. One rule for the Orchestrator's choice and the API's "cooling down until".
/// </summary>
public static class SubscriptionCooldown
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(2);

    /// <summary>
    /// A rate limit, an exhausted quota and a 503 cool down. An authentication failure (401, 403, a marker) does not:
    /// it disables the subscription instead, or — about a key since rolled over — says nothing of it at all.
    /// </summary>
    public static bool CoolsDown(FailureKind kind, int? statusCode) => kind != FailureKind.AuthenticationFailed || statusCode == 503;

    public static DateTimeOffset Ends(DateTimeOffset occurredAt, int? retryAfterSeconds, TimeSpan window) =>
        occurredAt + (retryAfterSeconds is > 0 && TimeSpan.FromSeconds(retryAfterSeconds.Value) > window ? TimeSpan.FromSeconds(retryAfterSeconds.Value) : window);
}
