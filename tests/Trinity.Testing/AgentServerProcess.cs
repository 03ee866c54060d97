using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;

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

    /// <summary>
    /// Starts an agent server (not waiting for it) on a free loopback port with a fresh control key and its
    /// override file in a directory of its own.
    /// </summary>
    public static AgentServerProcess Start(string agentName, string? bakedToken, string logDirectory,
        IReadOnlyDictionary<string, string?>? extra = null, Action<string>? prepareOverrideFile = null)
    {
        var port = FreePort.Next();
        var controlKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var overrideFile = Path.Combine(Directory.CreateDirectory(Path.Combine(logDirectory, $"agent-{agentName}")).FullName, "oauth-token");
        prepareOverrideFile?.Invoke(overrideFile);
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["TRINITY_AGENT_CONTROL_KEY"] = controlKey,
            ["CLAUDE_CODE_OAUTH_TOKEN"] = bakedToken,
            ["Trinity__Agent__OverrideFile"] = overrideFile,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            environment[key] = value;
        var process = ServiceProcess.Start("Trinity.AgentServer", $"agent-{agentName}", environment, logDirectory);
        return new AgentServerProcess(agentName, process, $"http://127.0.0.1:{port}", controlKey, overrideFile);
    }

    public async Task<LiveCredential> LiveCredentialAsync()
    {
        using var request = Authorized(HttpMethod.Get, "/api/credentials");
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<LiveCredential>())!;
    }

    /// <summary>A request with the control key.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null) =>
        SendAsync(method, path, body, $"Bearer {ControlKey}");

    /// <summary>A request with exactly this Authorization header (none when null).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string? authorization)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
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
