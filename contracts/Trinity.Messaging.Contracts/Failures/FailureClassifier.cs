using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Messaging.Contracts.Failures;

/// <summary>
/// Whether an error a turn met is the subscription's fault, as the reference system decides it: 429 is a rate
/// limit; 503 or an authentication marker is an authentication failure — unless the text says the process was
/// killed (a killed process is not a bad token).
/// </summary>
public static class FailureClassifier
{
    static readonly string[] AuthMarkers =
        ["credit balance", "unauthorized", "authentication", "credentials", "forbidden", "401", "403", "oauth", "token expired", "not authenticated"];

    static readonly string[] KillMarkers =
        ["sigkill", "sigterm", "exit code 137", "exit code 143", "exit code 130", "killed by", "out of memory", "oom"];

    /// <returns>The kind, or null with the reason it is not a subscription failure.</returns>
    public static (FailureKind? Kind, string? NotASubscriptionFailure) Classify(int? statusCode, string? errorMessage)
    {
        var text = (errorMessage ?? "").ToLowerInvariant();
        if (statusCode == 429 || text.Contains("rate limit", StringComparison.Ordinal) || text.Contains("rate_limit", StringComparison.Ordinal))
            return (FailureKind.RateLimited, null);
        if (KillMarkers.FirstOrDefault(marker => text.Contains(marker, StringComparison.Ordinal)) is { } kill)
            return (null, $"the process was killed ('{kill}'): not the token's fault");
        if (statusCode == 503 || AuthMarkers.Any(marker => text.Contains(marker, StringComparison.Ordinal)))
            return (FailureKind.AuthenticationFailed, null);
        return (null, "neither a rate limit nor an authentication failure");
    }
}
