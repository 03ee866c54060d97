using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Trinity.ContainerManager.Services;

/// <summary>The agent server's admission and health routes, with its control key.</summary>
public sealed class AgentControlClient(HttpClient http)
{
    public async Task DrainAsync(string baseUrl, string controlKey, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Post, baseUrl, "/api/drain", controlKey, cancellationToken)).EnsureSuccessStatusCode();

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

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string baseUrl, string path, string controlKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, $"{baseUrl.TrimEnd('/')}{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", controlKey);
        return await http.SendAsync(request, cancellationToken);
    }
}
