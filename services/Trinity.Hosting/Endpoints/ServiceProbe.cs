namespace Trinity.Hosting.Endpoints;

/// <summary>
/// <c>&lt;service&gt; probe [live|ready]</c>: what an image's <c>HEALTHCHECK</c> runs, in an image with no shell
/// and no curl. It asks the service's own <c>/health/ready</c> (or <c>/health/live</c>) on the address the
/// service listens on (<c>ASPNETCORE_URLS</c>, a wildcard host read as loopback) and exits 0 when it answers 200.
/// </summary>
public static class ServiceProbe
{
    public static async Task<int?> RunIfAskedAsync(string[] args, string defaultUrl)
    {
        if (args is not ["probe", ..])
            return null;
        var path = args is [_, "live"] ? "/health/live" : "/health/ready";
        var listening = (Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is { Length: > 0 } urls ? urls : defaultUrl).Split(';')[0];
        var address = new UriBuilder(listening.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (address.Host is "0.0.0.0" or "[::]" or "localhost" || !System.Net.IPAddress.TryParse(address.Host.Trim('[', ']'), out _))
            address.Host = "127.0.0.1";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri(address.Uri, path));
            Console.WriteLine($"{path}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.WriteLine($"{path}: no answer at {address.Uri} ({ex.GetType().Name})");
            return 1;
        }
    }
}
