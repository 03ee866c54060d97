using System.Text;

namespace Trinity.Messaging.Contracts.Failures;

/// <summary>
/// Text from a producer made storable: PostgreSQL refuses a NUL, and UTF-8 cannot carry half a surrogate pair (a
/// producer's own truncation can leave one), so NULs are removed, a lone surrogate becomes U+FFFD, and a cut to a
/// length never ends inside a pair.
/// </summary>
public static class CleanText
{
    /// <returns>The cleaned text, at most <paramref name="limit"/> UTF-16 units; null when nothing is left.</returns>
    public static string? Bound(string? text, int limit)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        var cleaned = new StringBuilder(Math.Min(text.Length, limit));
        // (limit may be int.MaxValue: the checks below compare before they add.)
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
                continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (cleaned.Length > limit - 2)
                    break;
                cleaned.Append(c).Append(text[++i]);
                continue;
            }
            if (cleaned.Length > limit - 1)
                break;
            cleaned.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return cleaned.Length == 0 ? null : cleaned.ToString();
    }
}
