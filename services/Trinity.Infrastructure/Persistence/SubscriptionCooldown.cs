using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Infrastructure.Persistence;

/// <summary>
/// Which failures cool a subscription down, and until when: the cooldown window after it, or the provider's
/// Retry-After when that is longer. One rule for the Orchestrator's choice and the API's "cooling down until".
/// </summary>
public static class SubscriptionCooldown
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(2);

    /// <summary>The longest Retry-After honoured: a longer one is cut to this (the intake caps it too).</summary>
    public static readonly TimeSpan LongestRetryAfter = TimeSpan.FromDays(7);

    /// <summary>
    /// A rate limit, an exhausted quota and a 503 cool down. An authentication failure (401, 403, a marker) does not:
    /// it disables the subscription instead, or — about a key since rolled over — says nothing of it at all.
    /// </summary>
    public static bool CoolsDown(FailureKind kind, int? statusCode) => kind != FailureKind.AuthenticationFailed || statusCode == 503;

    /// <summary>
    /// Counted from when the failure occurred, but never from later than the server recorded it: a producer's clock
    /// ahead cannot lengthen a cooldown, and no report (even one stored before the intake bounded producer times)
    /// cools a subscription past its recording plus <see cref="LongestRetryAfter"/>. Cannot overflow.
    /// </summary>
    public static DateTimeOffset Ends(DateTimeOffset occurredAt, DateTimeOffset recordedAt, int? retryAfterSeconds, TimeSpan window)
    {
        var retryAfter = retryAfterSeconds is > 0 ? TimeSpan.FromSeconds(Math.Min(retryAfterSeconds.Value, LongestRetryAfter.TotalSeconds)) : TimeSpan.Zero;
        var length = retryAfter > window ? retryAfter : window;
        length = length > LongestRetryAfter ? LongestRetryAfter : length;
        var from = occurredAt < recordedAt ? occurredAt : recordedAt;
        return from > DateTimeOffset.MaxValue - length ? DateTimeOffset.MaxValue : from + length;
    }
}
