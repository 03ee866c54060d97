using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Trinity.ContainerManager.Services;

/// <summary>The agent server's admission and health routes, with its control key.</summary>
public sealed class AgentControlClient(HttpClient http)
{
    /// <returns>The agent's answer: 200 when it drains (for <paramref name="timeToLive"/> unless renewed), 404 when it has no drain route.</returns>
    public async Task<HttpStatusCode> DrainAsync(string baseUrl, string controlKey, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, baseUrl, "/api/drain", controlKey, cancellationToken,
            JsonContent.Create(new { ttlSeconds = (int)Math.Ceiling(timeToLive.TotalSeconds) }));
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NotFound))
            response.EnsureSuccessStatusCode();
        return response.StatusCode;
    }

    public async Task ResumeAsync(string baseUrl, string controlKey, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Post, baseUrl, "/api/resume", controlKey, cancellationToken)).EnsureSuccessStatusCode();

    public async Task<int> RunningTurnsAsync(string baseUrl, string controlKey, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, baseUrl, "/api/turns?state=running", controlKey, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<List<object>>(cancellationToken))?.Count ?? 0;
    }

    public async Task<bool> IsHealthyAsync(string baseUrl, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync($"{baseUrl.TrimEnd('/')}/health", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string baseUrl, string path, string controlKey, CancellationToken cancellationToken, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, $"{baseUrl.TrimEnd('/')}{path}") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", controlKey);
        return await http.SendAsync(request, cancellationToken);
    }
}
