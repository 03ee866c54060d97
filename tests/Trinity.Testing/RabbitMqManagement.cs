using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;

namespace Trinity.Testing;

public sealed record QueueCounts(string Name, int Ready, int Unacked, int Consumers)
{
    public bool IsEmpty => Ready == 0 && Unacked == 0;
}

/// <summary>The RabbitMQ management HTTP API, as an operator would read it.</summary>
public sealed class RabbitMqManagement : IDisposable
{
    readonly HttpClient _http;

    public RabbitMqManagement(LocalCredentials credentials, int port = 15672)
    {
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/api/") };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.RabbitMqUser}:{credentials.RabbitMqPassword}")));
        User = credentials.RabbitMqUser;
    }

    public string User { get; }

    public async Task CreateVirtualHostAsync(string vhost)
    {
        (await _http.PutAsync($"vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        (await _http.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(User)}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
    }

    public async Task DeleteVirtualHostAsync(string vhost) => await _http.DeleteAsync($"vhosts/{Uri.EscapeDataString(vhost)}");

    public async Task<IReadOnlyList<QueueCounts>> QueuesAsync(string vhost)
    {
        var queues = await _http.GetFromJsonAsync<List<QueueInfo>>($"queues/{Uri.EscapeDataString(vhost)}?columns=name,messages_ready,messages_unacknowledged,consumers")
            ?? [];
        return queues.Select(q => new QueueCounts(q.Name, q.Ready, q.Unacked, q.Consumers)).ToList();
    }

    public async Task<IReadOnlyList<string>> VirtualHostsAsync() =>
        (await _http.GetFromJsonAsync<List<VhostInfo>>("vhosts?columns=name") ?? []).Select(v => v.Name).ToList();

    public void Dispose() => _http.Dispose();

    sealed record QueueInfo(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("messages_ready")] int Ready,
        [property: JsonPropertyName("messages_unacknowledged")] int Unacked,
        [property: JsonPropertyName("consumers")] int Consumers);

    sealed record VhostInfo([property: JsonPropertyName("name")] string Name);
}
