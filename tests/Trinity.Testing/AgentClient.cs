using System.Net.Http.Json;

namespace Trinity.Testing;

public sealed record LiveCredential(string? Fingerprint, string Source, DateTimeOffset? ChangedAt, int Reloads);

/// <summary>HTTP to one agent server — a process, a container or a fleet member — with (or without) its control key.</summary>
public class AgentClient(string agentName, string baseUrl, string controlKey) : IDisposable
{
    readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public string AgentName { get; } = agentName;
    public string BaseUrl { get; } = baseUrl;
    public string ControlKey { get; } = controlKey;

    /// <summary>Every response body this client has read, for leak scans.</summary>
    public List<string> ResponsesSeen { get; } = [];

    public async Task<LiveCredential> LiveCredentialAsync()
    {
        using var response = await SendAsync(HttpMethod.Get, "/api/credentials");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<LiveCredential>())!;
    }

    public async Task<bool> IsHealthyAsync()
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Get, "/health", body: null, authorization: null);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public Task WaitUntilHealthyAsync() => Eventually.Until(IsHealthyAsync, $"agent {AgentName} at {BaseUrl} to answer health");

    /// <summary>A request with the control key.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null) =>
        SendAsync(method, path, body, $"Bearer {ControlKey}");

    /// <summary>A request with exactly this Authorization header (none when null).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string? authorization)
    {
        // BaseUrl may carry a path (a fleet member's /agents/{name}): append, never resolve.
        using var request = new HttpRequestMessage(method, new Uri(BaseUrl + path));
        if (body is not null)
            request.Content = JsonContent.Create(body);
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await _http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        var seen = await response.Content.ReadAsStringAsync();
        lock (ResponsesSeen)
            ResponsesSeen.Add(seen);
        return response;
    }

    public void Dispose()
    {
        _http.Dispose();
        GC.SuppressFinalize(this);
    }
}
