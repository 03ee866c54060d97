using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Trinity.Infrastructure.Logging;

/// <summary>
/// Scrubs secrets from text that is about to leave the process (log lines, error messages from agents,
/// failure reports): anything shaped like an Anthropic token, and every exact value registered at run time
/// (the agent server registers each token it is given).
/// </summary>
public static partial class SecretRedaction
{
    public const string Mask = "[redacted]";
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
        var scrubbed = TokenShape().Replace(text, Mask);
        foreach (var secret in Known.Keys)
            scrubbed = scrubbed.Replace(secret, Mask, StringComparison.Ordinal);
        return scrubbed;
    }

    /// <summary>Error text that travels or is stored (failure reports): scrubbed, cut to <paramref name="limit"/>, null when empty.</summary>
    public static string? ScrubAndTruncate(string? text, int limit)
    {
        var scrubbed = Scrub(text ?? "");
        return scrubbed.Length == 0 ? null : scrubbed[..Math.Min(limit, scrubbed.Length)];
    }

    [GeneratedRegex(@"sk-ant-[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex TokenShape();
}
