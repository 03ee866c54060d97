using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Trinity.Testing;

public sealed record LiveCredential(string? Fingerprint, string Source, DateTimeOffset? ChangedAt);

/// <summary>An agent server under test and an HTTP client that speaks to it with (or without) its control key.</summary>
public sealed class AgentServerProcess(string agentName, ServiceProcess process, string baseUrl, string controlKey, string overrideFile) : IDisposable
{
    readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };

    public string AgentName { get; } = agentName;
    public ServiceProcess Process { get; } = process;
    public string BaseUrl { get; } = baseUrl;
    public string ControlKey { get; } = controlKey;
    public string OverrideFile { get; } = overrideFile;

    public async Task<LiveCredential> LiveCredentialAsync()
    {
        using var request = Authorized(HttpMethod.Get, "/api/credentials");
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<LiveCredential>())!;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await _http.SendAsync(request);
    }

    public void Dispose() => _http.Dispose();

    HttpRequestMessage Authorized(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ControlKey);
        return request;
    }
}
