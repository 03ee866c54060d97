using System.Text.RegularExpressions;

namespace Trinity.Messaging.Contracts.Identity;

/// <summary>
/// The name of a Docker host, which becomes part of its container manager's queue names
/// (<see cref="EntityNames.Queues.ContainerManagerOf"/>): 1–32 lower-case letters, digits and hyphens, starting with a
/// letter and not ending with a hyphen. No dot, so no host's queue can be another host's (<c>a.starts</c> is no host).
/// </summary>
public static partial class DockerHostName
{
    public const int MaxLength = 32;

    /// <summary>The one host of a single-machine set-up, and where placements written before hosts had names are.</summary>
    public const string Local = "local";

    public static bool TryNormalize(string? name, out string normalized)
    {
        normalized = (name ?? string.Empty).Trim().ToLowerInvariant();
        return Problem(normalized) is null;
    }

    /// <returns>Why <paramref name="name"/> is no host name, or null when it is one.</returns>
    public static string? Problem(string? name) => name switch
    {
        null or "" => "it is empty",
        { Length: > MaxLength } => $"it is longer than {MaxLength} characters",
        _ when !Label().IsMatch(name) => "it is not 1-32 of a-z, 0-9 and '-', starting with a letter and not ending with '-'",
        _ => null,
    };

    [GeneratedRegex("^[a-z]([a-z0-9-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Label();
}
