using System.Collections.Concurrent;
using Trinity.Messaging.Contracts.Failures;

namespace Trinity.Hosting.Logging;

/// <summary>
/// Scrubs secrets from text that is about to leave the process (log lines, error messages from agents,
/// failure reports): anything shaped like an Anthropic token, and every exact value registered at run time
/// (the agent server registers each token it is given).
/// </summary>
public static class SecretRedaction
{
    public const string Mask = TokenShapedText.Mask;
    static readonly ConcurrentDictionary<string, byte> Known = new(StringComparer.Ordinal);

    public static void Register(string secret)
    {
        if (!string.IsNullOrEmpty(secret) && secret.Length >= 8)
            Known.TryAdd(secret, 0);
    }

    public static string Scrub(string text)
    {
        if (string.IsNullOrEmpty(text))
            return text;
        var scrubbed = TokenShapedText.Scrub(text);
        foreach (var secret in Known.Keys)
            scrubbed = scrubbed.Replace(secret, Mask, StringComparison.Ordinal);
        return scrubbed;
    }

    /// <summary>Error text that travels or is stored (failure reports): scrubbed, cut to <paramref name="limit"/>, null when empty.</summary>
    public static string? ScrubAndTruncate(string? text, int limit) => TokenShapedText.ScrubAndTruncate(text, limit, Scrub);
}
