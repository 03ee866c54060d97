using Microsoft.EntityFrameworkCore;
using Trinity.Api.Configuration;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Placement;

namespace Trinity.Api.Agents;

/// <summary>The address a newly registered agent's server gets, from <see cref="ApiOptions.AgentBaseUrl"/>.</summary>
public static class AgentBaseUrls
{
    /// <summary>Serializes port choices between concurrent registrations, for the length of the caller's transaction.</summary>
    const long PortChoiceLock = 0x7472696e_69747901;

    /// <returns>The address, or null when every port of the range is taken. Call inside a transaction.</returns>
    /// <param name="host">Its address is <c>{host}</c>: a host-networked agent answers at its Docker host's address.</param>
    public static async Task<string?> ChooseAsync(TrinityDbContext db, string name, DockerHost host, ApiOptions options, CancellationToken cancellationToken)
    {
        var template = options.AgentBaseUrl.Replace("{name}", name, StringComparison.Ordinal).Replace("{host}", host.Address, StringComparison.Ordinal);
        if (!template.Contains("{port}", StringComparison.Ordinal))
            return template;

        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({PortChoiceLock})", cancellationToken);
        var taken = (await db.Agents.Where(a => a.BaseUrl != null && a.RemovedAt == null).Select(a => a.BaseUrl!).ToListAsync(cancellationToken))
            .Select(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Port : -1)
            .ToHashSet();
        var range = options.AgentPorts.Split('-');
        for (var port = int.Parse(range[0]); port <= int.Parse(range[1]); port++)
        {
            if (!taken.Contains(port))
                return template.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        return null;
    }
}
