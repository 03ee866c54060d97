using System.Security.Cryptography;
using System.Text;

namespace Trinity.Messaging.Contracts.Identity;

/// <summary>
/// What is shown, logged and compared instead of a token: the first 12 hex characters of its SHA-256.
/// Defined once, here, so every component agrees on it.
/// </summary>
public static class TokenFingerprint
{
    public const int Length = 12;

    public static string Of(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..Length];
    }

    public static bool IsWellFormed(string? fingerprint) =>
        fingerprint is { Length: Length } && fingerprint.All(char.IsAsciiHexDigitLower);
}
