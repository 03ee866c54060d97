using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Trinity.AgentProtocol;

/// <summary>An agent's answer to a reload: its status, and its body when it was the protocol's (null otherwise).</summary>
public sealed record ReloadReply(HttpStatusCode Status, ReloadTokenAnswer? Answer)
{
    /// <summary>200 with <c>"reloaded": true</c>: the agent runs the token from its next turn on.</summary>
    public bool Reloaded => Status == HttpStatusCode.OK && Answer is { Reloaded: true };
}

/// <summary>What an agent at a base URL answers to a reload with an empty token and no key.</summary>
public enum AgentProbe
{
    /// <summary>400: it validated the body without asking for a key, as the reference agent does.</summary>
    Unauthenticated,

    /// <summary>401/403: it wants a key before it reads anything, as this system's agent server does.</summary>
    Authenticated,

    /// <summary>404: an image from before the reload endpoint.</summary>
    NoReloadEndpoint,

    /// <summary>Any other answer: something answers, but not as an agent server would.</summary>
    Unexpected,

    Unreachable,
}

/// <summary>
/// The one client of an agent server's routes. A control key, when the agent has one, goes in the bearer
/// header; a token goes only in a request body. Nothing here logs, and no exception carries a body.
/// </summary>
public sealed class AgentProtocolClient(HttpClient http)
{
    public async Task<ReloadReply> ReloadAsync(string baseUrl, string? controlKey, ReloadTokenRequest body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, baseUrl, AgentPaths.ReloadToken, controlKey, Json(body), cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            return new ReloadReply(response.StatusCode, null);
        try
        {
            return new ReloadReply(response.StatusCode, await response.Content.ReadFromJsonAsync<ReloadTokenAnswer>(cancellationToken));
        }
        catch (JsonException)
        {
            return new ReloadReply(response.StatusCode, null);
        }
    }

    /// <summary>An empty token with no key: no agent changes anything on it, and its answer says whether it asks for a key.</summary>
    public async Task<AgentProbe> ProbeAsync(string baseUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Post, baseUrl, AgentPaths.ReloadToken, controlKey: null,
                Json(new ReloadTokenRequest("")), cancellationToken);
            return response.StatusCode switch
            {
                HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => AgentProbe.Unauthenticated,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => AgentProbe.Authenticated,
                HttpStatusCode.NotFound => AgentProbe.NoReloadEndpoint,
                _ => AgentProbe.Unexpected,
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return AgentProbe.Unreachable;
        }
    }

    /// <returns>What the agent says it runs; null when it does not say (a reference agent has no such route).</returns>
    public async Task<CredentialState?> CredentialsAsync(string baseUrl, string? controlKey, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, baseUrl, AgentPaths.Credentials, controlKey, null, cancellationToken);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<CredentialState>(cancellationToken) : null;
    }

    /// <returns>200 when the agent drains (for <paramref name="timeToLive"/> unless renewed), 404 when it has no drain route.</returns>
    public async Task<HttpStatusCode> DrainAsync(string baseUrl, string? controlKey, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, baseUrl, AgentPaths.Drain, controlKey,
            Json(new DrainRequest((int)Math.Ceiling(timeToLive.TotalSeconds))), cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NotFound))
            response.EnsureSuccessStatusCode();
        return response.StatusCode;
    }

    public async Task ResumeAsync(string baseUrl, string? controlKey, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, baseUrl, AgentPaths.Resume, controlKey, null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task<int> RunningTurnsAsync(string baseUrl, string? controlKey, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, baseUrl, AgentPaths.RunningTurns, controlKey, null, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<List<JsonElement>>(cancellationToken))?.Count ?? 0;
    }

    public async Task<bool> IsHealthyAsync(string baseUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(AgentPaths.On(baseUrl, AgentPaths.Health), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>A body with its length, not chunked: the simplest agent server reads it by <c>Content-Length</c>.</summary>
    static StringContent Json<T>(T body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string baseUrl, string path, string? controlKey, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, AgentPaths.On(baseUrl, path)) { Content = content };
        if (controlKey is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", controlKey);
        return await http.SendAsync(request, cancellationToken);
    }
}
