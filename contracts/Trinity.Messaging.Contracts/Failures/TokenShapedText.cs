using System.Text.RegularExpressions;

namespace Trinity.Messaging.Contracts.Failures;

/// <summary>
/// Masks anything shaped like an Anthropic token in text that is about to travel: a CLI's error output can
/// echo the token it was given, and a message body must never carry one.
/// </summary>
public static partial class TokenShapedText
{
    public const string Mask = "[redacted]";

    public static string Scrub(string text) => string.IsNullOrEmpty(text) ? text : TokenShape().Replace(text, Mask);

    /// <summary>
    /// Error text that travels or is stored: cleaned (<see cref="CleanText"/>: a NUL inside a token must not hide it
    /// from the scrub and then vanish), scrubbed, then cut to <paramref name="limit"/> on a whole character; null when empty.
    /// </summary>
    public static string? ScrubAndTruncate(string? text, int limit, Func<string, string>? scrub = null) =>
        CleanText.Bound((scrub ?? Scrub)(CleanText.Bound(text, int.MaxValue) ?? ""), limit);

    [GeneratedRegex(@"sk-ant-[A-Za-z0-9_\-]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex TokenShape();
}
