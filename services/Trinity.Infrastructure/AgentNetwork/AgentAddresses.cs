using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Placement;

namespace Trinity.Infrastructure.AgentNetwork;

/// <summary>
/// The rule for an agent's base URL — <c>http</c> or <c>https</c>, to an allowed host — and an HTTP client that keeps
/// to it when it connects: it follows no redirect (.NET would POST the token again to wherever a 307 points) and
/// connects only to a resolved address inside the allowed networks, so a name that resolves elsewhere later is refused.
/// </summary>
public sealed class AgentAddresses
{
    readonly string[] _hosts;
    readonly IReadOnlyList<IPNetwork> _networks;

    /// <param name="dockerHosts">Each host's address is allowed besides: its host-networked agents answer there.</param>
    public AgentAddresses(AgentNetworkOptions options, DockerHosts? dockerHosts = null)
    {
        var hostAddresses = dockerHosts?.All.Select(h => h.Address).ToList() ?? [];
        var literals = hostAddresses.Select(a => IPAddress.TryParse(a, out var ip) ? ip : null).OfType<IPAddress>();
        _hosts = [.. Split(options.AllowedHosts), .. hostAddresses.Where(a => !IPAddress.TryParse(a, out _))];
        _networks = [.. Split(options.AllowedNetworks).Select(IPNetwork.Parse), .. literals.Select(ip => new IPNetwork(ip, ip.GetAddressBytes().Length * 8))];
    }

    public AgentAddresses(IOptions<AgentNetworkOptions> options, DockerHosts dockerHosts) : this(options.Value, dockerHosts)
    {
    }

    /// <returns>Why the base URL is refused, or null when an agent may be there.</returns>
    public string? WhyRefused(string baseUrl)
    {
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return "An absolute http or https URL, such as http://127.0.0.1:18000.";
        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            return "No user information, query or fragment.";
        if (IPAddress.TryParse(uri.IdnHost, out var address))
            return Allows(address) ? null : $"The address {address} is outside Trinity:AgentNetwork:AllowedNetworks.";
        return _hosts.Any(host => Matches(host, uri.IdnHost)) ? null : $"The host {uri.IdnHost} is not in Trinity:AgentNetwork:AllowedHosts.";
    }

    /// <summary>A pattern is a host name, or a prefix ending in <c>*</c> (<c>agent-*</c> on a Compose network).</summary>
    static bool Matches(string pattern, string host) =>
        pattern.EndsWith('*')
            ? host.StartsWith(pattern[..^1], StringComparison.OrdinalIgnoreCase) && !host.Contains('.', StringComparison.Ordinal)
            : string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);

    public bool Allows(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return _networks.Any(network => network.Contains(plain));
    }

    /// <summary>The handler for every client that calls agents.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = ConnectAsync,
    };

    async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(Allows).ToList();
        if (allowed.Count == 0)
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                $"The agent host {host} resolves to no address inside Trinity:AgentNetwork:AllowedNetworks: not connecting.");
        // Each allowed address in turn, as the default handler would (localhost can be ::1 first, the agent on 127.0.0.1).
        for (var i = 0; ; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(allowed[i], context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException) when (i < allowed.Count - 1)
            {
                socket.Dispose();
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public static class AgentNetworkRegistration
{
    public static IServiceCollection AddTrinityAgentNetwork(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AgentNetworkOptions>().Bind(configuration.GetSection(AgentNetworkOptions.Section))
            .Validate(o => Validates(o), $"{AgentNetworkOptions.Section}:AllowedNetworks must be CIDR blocks, such as 127.0.0.0/8.").ValidateOnStart();
        services.AddTrinityDockerHosts(configuration);
        services.AddSingleton<AgentAddresses>();
        return services;
    }

    /// <summary>A client that calls agents only where <see cref="AgentAddresses"/> allows.</summary>
    public static IHttpClientBuilder CallsAgentsOnly(this IHttpClientBuilder client) =>
        client.ConfigurePrimaryHttpMessageHandler(provider => provider.GetRequiredService<AgentAddresses>().CreateHandler());

    static bool Validates(AgentNetworkOptions options)
    {
        try
        {
            _ = new AgentAddresses(options);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
