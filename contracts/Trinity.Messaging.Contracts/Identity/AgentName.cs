using System.Text.RegularExpressions;

namespace Trinity.Messaging.Contracts.Identity;

/// <summary>
/// Agent names become Docker container names, Redis keys and SQL parameters, so they are held to DNS-label
/// rules (RFC 1123): 1–63 characters, lower-case letters, digits and hyphens, no hyphen at either end.
/// </summary>
public static partial class AgentName
{
    public const int MaxLength = 63;

    /// <summary>Trims and lower-cases <paramref name="name"/>, then validates it.</summary>
    /// <exception cref="InvalidAgentNameException">The name is not a DNS label.</exception>
    public static string Normalize(string? name)
    {
        var normalized = (name ?? string.Empty).Trim().ToLowerInvariant();
        var problem = Problem(normalized);
        return problem is null ? normalized : throw new InvalidAgentNameException(name, problem);
    }

    public static bool TryNormalize(string? name, out string normalized)
    {
        normalized = (name ?? string.Empty).Trim().ToLowerInvariant();
        return Problem(normalized) is null;
    }

    static string? Problem(string name) => name switch
    {
        "" => "it is empty",
        { Length: > MaxLength } => $"it is longer than {MaxLength} characters",
        _ when name.StartsWith('-') || name.EndsWith('-') => "it starts or ends with a hyphen",
        _ when !Label().IsMatch(name) => "only lower-case letters, digits and hyphens are allowed",
        _ => null,
    };

    [GeneratedRegex("^[a-z0-9-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Label();
}

public sealed class InvalidAgentNameException(string? name, string problem)
    : ArgumentException($"Agent name '{Printable(name)}' is not valid: {problem} (DNS label: 1-{AgentName.MaxLength} of a-z, 0-9, '-').")
{
    // A bad name is echoed back so the caller can see it, but never more than a label's worth of it.
    static string Printable(string? name) =>
        name is null ? "" : new string(name.Take(AgentName.MaxLength + 1).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
