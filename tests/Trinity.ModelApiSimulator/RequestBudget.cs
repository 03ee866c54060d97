using System.Collections.Concurrent;

namespace Trinity.ModelApiSimulator;

public sealed record RecordedRequest(string Fingerprint, DateTimeOffset At, int Status);

/// <summary>
/// A request budget per token per fixed window, as a provider's rate limit behaves: over budget, 429 with
/// Retry-After until the window ends. Tokens are kept only as fingerprints.
/// </summary>
public sealed class RequestBudget(int defaultBudget, TimeSpan window, TimeProvider clock)
{
    readonly ConcurrentDictionary<string, int> _budgets = new();
    readonly ConcurrentDictionary<string, (DateTimeOffset Start, int Count)> _windows = new();
    readonly ConcurrentQueue<RecordedRequest> _requests = new();
    readonly ConcurrentDictionary<string, bool> _revoked = new();

    public IReadOnlyCollection<RecordedRequest> Requests => _requests;

    public void SetBudget(string fingerprint, int requestsPerWindow) => _budgets[fingerprint] = requestsPerWindow;

    /// <summary>From now on the token is refused (401).</summary>
    public void Revoke(string fingerprint) => _revoked[fingerprint] = true;

    /// <returns>Whether the token is revoked; a refusal is recorded like any request.</returns>
    public bool RefusedAsRevoked(string fingerprint)
    {
        if (!_revoked.ContainsKey(fingerprint))
            return false;
        _requests.Enqueue(new RecordedRequest(fingerprint, clock.GetUtcNow(), 401));
        return true;
    }

    /// <returns>Null when allowed, else the seconds until the window resets.</returns>
    public int? Spend(string fingerprint)
    {
        var now = clock.GetUtcNow();
        var budget = _budgets.GetValueOrDefault(fingerprint, defaultBudget);
        var current = _windows.AddOrUpdate(fingerprint, _ => (now, 1), (_, w) => now - w.Start >= window ? (now, 1) : (w.Start, w.Count + 1));
        int? retryAfter = current.Count > budget ? Math.Max(1, (int)Math.Ceiling((current.Start + window - now).TotalSeconds)) : null;
        _requests.Enqueue(new RecordedRequest(fingerprint, now, retryAfter is null ? 200 : 429));
        return retryAfter;
    }
}
