using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Cli.CommandLine;

namespace Trinity.Cli.Connections;

/// <summary>The HTTP API with the admin key. A refusal becomes a <see cref="CliException"/> with the API's own reason.</summary>
public sealed class TrinityApi : IDisposable
{
    readonly HttpClient _http;

    public TrinityApi(Uri baseAddress, string adminKey)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    public Task<JsonElement> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<JsonElement> PostAsync(string path, object body) => SendAsync(HttpMethod.Post, path, body);

    public Task<JsonElement> PutAsync(string path, object body) => SendAsync(HttpMethod.Put, path, body);

    public Task<JsonElement> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
            request.Content = JsonContent.Create(body);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"The API at {_http.BaseAddress} does not answer ({ex.HttpRequestError}): is it running (`make up`)?");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
            if (response.IsSuccessStatusCode)
                return json;
            throw new CliException($"{(int)response.StatusCode} {Describe(response.StatusCode)}: {Reason(json)}");
        }
    }

    static string Describe(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "the admin key was refused",
        HttpStatusCode.NotFound => "not found",
        HttpStatusCode.BadRequest => "bad request",
        _ => status.ToString(),
    };

    /// <summary>The problem's title, and each field at fault with what it needs.</summary>
    static string Reason(JsonElement problem)
    {
        if (problem.ValueKind != JsonValueKind.Object)
            return "no details";
        var title = problem.TryGetProperty("title", out var t) ? t.GetString() : null;
        if (!problem.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Object)
            return title ?? "no details";
        return string.Join("; ", errors.EnumerateObject().Select(field =>
            $"{field.Name}: {string.Join(" ", field.Value.EnumerateArray().Select(e => e.GetString()))}"));
    }

    public void Dispose() => _http.Dispose();
}
