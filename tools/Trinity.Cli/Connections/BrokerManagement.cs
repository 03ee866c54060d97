using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Trinity.Cli.CommandLine;

namespace Trinity.Cli.Connections;

public sealed record QueueCounts(string Name, int Ready, int Unacked, int Consumers);

/// <summary>A message as the management API's "Get messages" shows it; the CLI reads its headers, never prints its body.</summary>
public sealed record QueuedMessage(IReadOnlyDictionary<string, string> Headers, string? Type, string Payload);

/// <summary>The RabbitMQ management HTTP API, read the way the management UI reads it.</summary>
public sealed class BrokerManagement : IDisposable
{
    readonly HttpClient _http;

    public BrokerManagement(Uri managementUrl, string user, string password)
    {
        _http = new HttpClient { BaseAddress = new Uri(managementUrl, "api/"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    public async Task<IReadOnlyList<QueueCounts>> QueuesAsync(string vhost)
    {
        var queues = await GetAsync<List<QueueInfo>>($"queues/{Uri.EscapeDataString(vhost)}?columns=name,messages_ready,messages_unacknowledged,consumers") ?? [];
        return queues.Select(q => new QueueCounts(q.Name, q.Ready, q.Unacked, q.Consumers)).OrderBy(q => q.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Reads up to <paramref name="count"/> messages and puts them back, as the UI's "Get messages" does.</summary>
    public async Task<IReadOnlyList<QueuedMessage>> PeekAsync(string vhost, string queue, int count)
    {
        using var response = await SendAsync(() => _http.PostAsJsonAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}/get",
            new { count, ackmode = "ack_requeue_true", encoding = "auto", truncate = 50000 }));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            throw new CliException($"There is no queue {queue} in virtual host {vhost}.");
        await EnsureSuccessAsync(response);
        var messages = await response.Content.ReadFromJsonAsync<List<JsonElement>>() ?? [];
        return messages.Select(message =>
        {
            var properties = message.GetProperty("properties");
            var headers = properties.TryGetProperty("headers", out var h) && h.ValueKind == JsonValueKind.Object
                ? h.EnumerateObject().ToDictionary(header => header.Name, header => header.Value.ToString())
                : new Dictionary<string, string>();
            var type = properties.TryGetProperty("type", out var t) ? t.GetString() : null;
            return new QueuedMessage(headers, type, message.GetProperty("payload").GetString() ?? "");
        }).ToList();
    }

    async Task<T?> GetAsync<T>(string path)
    {
        using var response = await SendAsync(() => _http.GetAsync(path));
        await EnsureSuccessAsync(response);
        return await response.Content.ReadFromJsonAsync<T>();
    }

    async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"The RabbitMQ management API at {_http.BaseAddress} does not answer ({ex.HttpRequestError}): is RabbitMQ running (`make services`)?");
        }
    }

    static async Task EnsureSuccessAsync(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
            return;
        var reason = (await response.Content.ReadAsStringAsync()).ReplaceLineEndings(" ");
        throw new CliException($"The RabbitMQ management API refused: {(int)response.StatusCode} {reason[..Math.Min(200, reason.Length)]}");
    }

    public void Dispose() => _http.Dispose();

    sealed record QueueInfo(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("messages_ready")] int Ready,
        [property: JsonPropertyName("messages_unacknowledged")] int Unacked,
        [property: JsonPropertyName("consumers")] int Consumers);
}
