namespace Trinity.Infrastructure.Persistence;

/// <summary>
/// When a failure stops blocking its subscription: the cooldown window after it, or the provider's Retry-After
/// when that is longer. One rule for the Orchestrator's choice and the API's "cooling down until".
/// </summary>
public static class SubscriptionCooldown
{
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(2);

    public static DateTimeOffset Ends(DateTimeOffset occurredAt, int? retryAfterSeconds, TimeSpan window) =>
        occurredAt + (retryAfterSeconds is > 0 && TimeSpan.FromSeconds(retryAfterSeconds.Value) > window ? TimeSpan.FromSeconds(retryAfterSeconds.Value) : window);
}
