using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Trinity.Messaging.Contracts.Identity;

namespace Trinity.Infrastructure.Placement;

/// <summary>Key <c>Trinity:DockerHosts</c>.</summary>
public sealed class DockerHostsOptions
{
    public const string Key = "Trinity:DockerHosts";

    /// <summary>
    /// The Docker hosts agents are placed on, as <c>name=address</c>, comma-separated: each runs one container manager
    /// behind its own queues, and its host-networked agents answer at its address. The first is where an agent goes
    /// when its registration names none. One machine: <c>local=127.0.0.1</c>.
    /// </summary>
    public string DockerHosts { get; set; } = $"{DockerHostName.Local}=127.0.0.1";
}

/// <param name="Address">An IP literal or a host name: the host of the base URLs of the agents placed there.</param>
public sealed record DockerHost(string Name, string Address);

/// <summary>The Docker hosts of <see cref="DockerHostsOptions.DockerHosts"/>, validated once: names, addresses, no duplicates.</summary>
public sealed class DockerHosts
{
    public DockerHosts(string list)
    {
        var hosts = new List<DockerHost>();
        foreach (var entry in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || DockerHostName.Problem(parts[0]) is not null)
                throw new FormatException($"{DockerHostsOptions.Key}: '{entry}' is not name=address with a name of 1-{DockerHostName.MaxLength} of a-z, 0-9 and '-', starting with a letter.");
            if (Uri.CheckHostName(parts[1]) is UriHostNameType.Unknown or UriHostNameType.Basic)
                throw new FormatException($"{DockerHostsOptions.Key}: host {parts[0]}'s address '{parts[1]}' is neither an IP address nor a host name.");
            if (hosts.Any(h => h.Name == parts[0]))
                throw new FormatException($"{DockerHostsOptions.Key} names host {parts[0]} twice.");
            if (hosts.FirstOrDefault(h => string.Equals(h.Address, parts[1], StringComparison.OrdinalIgnoreCase)) is { } same)
                throw new FormatException($"{DockerHostsOptions.Key}: hosts {same.Name} and {parts[0]} have one address, {parts[1]}: their agents' base URLs would collide.");
            hosts.Add(new DockerHost(parts[0], parts[1]));
        }
        All = hosts.Count > 0 ? hosts : throw new FormatException($"{DockerHostsOptions.Key} names no Docker host; one machine is {DockerHostName.Local}=127.0.0.1.");
    }

    public DockerHosts(IOptions<DockerHostsOptions> options) : this(options.Value.DockerHosts)
    {
    }

    public IReadOnlyList<DockerHost> All { get; }

    /// <summary>Where an agent goes when nothing names its host.</summary>
    public DockerHost Default => All[0];

    /// <summary>The host <paramref name="name"/> names, the default when it names none, null when no host has that name.</summary>
    public DockerHost? FindOrDefault(string? name) => name is null ? Default : Find(name);

    public DockerHost? Find(string? name) =>
        DockerHostName.TryNormalize(name, out var normalized) ? All.FirstOrDefault(h => h.Name == normalized) : null;

    /// <summary>The message for a host name this list does not have.</summary>
    public string Unknown(string? name) =>
        $"No Docker host '{new string((name ?? "").Take(DockerHostName.MaxLength + 1).Select(c => char.IsControl(c) ? '?' : c).ToArray())}' "
        + $"in {DockerHostsOptions.Key} ({string.Join(", ", All.Select(h => h.Name))}).";

    /// <summary>The base URL on <paramref name="host"/> at the port of <paramref name="baseUrl"/>: a host-networked agent answers at its host's address.</summary>
    public static string OnHost(string baseUrl, DockerHost host) =>
        new UriBuilder(baseUrl) { Host = host.Address }.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
}

public static class DockerHostsRegistration
{
    public static IServiceCollection AddTrinityDockerHosts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DockerHostsOptions>().Bind(configuration.GetSection("Trinity")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DockerHostsOptions>, DockerHostsValidation>());
        services.TryAddSingleton<DockerHosts>();
        return services;
    }

    /// <summary>A list that does not parse stops the service at start, saying which entry and why.</summary>
    sealed class DockerHostsValidation : IValidateOptions<DockerHostsOptions>
    {
        public ValidateOptionsResult Validate(string? name, DockerHostsOptions options)
        {
            try
            {
                _ = new DockerHosts(options.DockerHosts);
                return ValidateOptionsResult.Success;
            }
            catch (FormatException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
