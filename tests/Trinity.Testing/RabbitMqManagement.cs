using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;
using Trinity.Cli.Connections;

namespace Trinity.Testing;

public sealed record PeekedMessage(string Payload, IReadOnlyDictionary<string, string> Headers);

public sealed record QueueCounts(string Name, int Ready, int Unacked, int Consumers)
{
    public bool IsEmpty => Ready == 0 && Unacked == 0;
}

public sealed record QueueDeclaration(string Type, IReadOnlyDictionary<string, string> Arguments);

/// <summary>The RabbitMQ management HTTP API, as an operator would read it.</summary>
public sealed class RabbitMqManagement : IDisposable
{
    readonly HttpClient _http;
    readonly BrokerManagement _broker;

    public RabbitMqManagement(BrokerAccess broker)
    {
        _broker = new BrokerManagement(new Uri($"http://127.0.0.1:{broker.ManagementPort}/"), broker.User, broker.Password);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{broker.ManagementPort}/api/"), Timeout = TimeSpan.FromSeconds(10) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{broker.User}:{broker.Password}")));
        User = broker.User;
    }

    public string User { get; }

    public async Task CreateVirtualHostAsync(string vhost)
    {
        (await _http.PutAsync($"vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        (await _http.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(User)}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
    }

    public async Task DeclareFanoutExchangeAsync(string vhost, string exchange) =>
        (await _http.PutAsJsonAsync($"exchanges/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(exchange)}", new { type = "fanout", durable = true })).EnsureSuccessStatusCode();

    /// <summary>True once the management API answers (a node that is starting refuses or fails the request).</summary>
    public async Task<bool> IsUpAsync()
    {
        try
        {
            return (await _http.GetAsync("overview")).IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Deletes a queue, messages and all, as an operator would in the management UI.</summary>
    public async Task DeleteQueueAsync(string vhost, string queue) =>
        (await _http.DeleteAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}")).EnsureSuccessStatusCode();

    public async Task DeleteVirtualHostAsync(string vhost) => await _http.DeleteAsync($"vhosts/{Uri.EscapeDataString(vhost)}");

    public async Task<IReadOnlyList<QueueCounts>> QueuesAsync(string vhost) =>
        (await _broker.QueuesAsync(vhost)).Select(q => new QueueCounts(q.Name, q.Ready, q.Unacked, q.Consumers)).ToList();

    /// <summary>A queue's type (<c>classic</c>, <c>quorum</c>) and the arguments it was declared with, as the management UI shows them; null if there is no such queue.</summary>
    public async Task<QueueDeclaration?> QueueDeclarationAsync(string vhost, string queue)
    {
        using var response = await _http.GetAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}?columns=type,arguments");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return new QueueDeclaration(json.GetProperty("type").GetString()!,
            json.GetProperty("arguments").EnumerateObject().ToDictionary(a => a.Name, a => a.Value.ToString()));
    }

    /// <summary>The node that leads a quorum queue (its Raft leader), and the nodes that are its members and online.</summary>
    public async Task<(string Leader, IReadOnlyList<string> Online)> QueueLeaderAsync(string vhost, string queue)
    {
        var json = await _http.GetFromJsonAsync<System.Text.Json.JsonElement>($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}?columns=leader,online");
        return (json.GetProperty("leader").GetString()!, [.. json.GetProperty("online").EnumerateArray().Select(n => n.GetString()!)]);
    }

    /// <summary>The cluster's nodes and whether each runs, as the management UI's Overview lists them.</summary>
    public async Task<IReadOnlyDictionary<string, bool>> NodesAsync() =>
        (await _http.GetFromJsonAsync<List<System.Text.Json.JsonElement>>("nodes?columns=name,running") ?? [])
        .ToDictionary(n => n.GetProperty("name").GetString()!, n => n.GetProperty("running").GetBoolean());

    public async Task<IReadOnlyList<string>> VirtualHostsAsync() =>
        (await _http.GetFromJsonAsync<List<VhostInfo>>("vhosts?columns=name") ?? []).Select(v => v.Name).ToList();

    /// <summary>Reads up to <paramref name="count"/> messages of a queue and puts them back (as the management UI's "Get messages").</summary>
    public async Task<IReadOnlyList<PeekedMessage>> PeekAsync(string vhost, string queue, int count = 20) =>
        (await _broker.PeekAsync(vhost, queue, count)).Select(m => new PeekedMessage(m.Payload, m.Headers)).ToList();

    /// <summary>
    /// The connections of <paramref name="vhost"/> whose client-provided name ends with <paramref name="nameSuffix"/>
    /// (a service names its connection <c>service@machine:pid</c>). A new connection is listed only after the broker's
    /// next statistics round.
    /// </summary>
    public async Task<IReadOnlyList<string>> ConnectionsAsync(string vhost, string nameSuffix) =>
        (await _http.GetFromJsonAsync<List<ConnectionInfo>>($"vhosts/{Uri.EscapeDataString(vhost)}/connections?columns=name,client_properties") ?? [])
            .Where(c => c.Client?.ConnectionName?.EndsWith(nameSuffix, StringComparison.Ordinal) == true).Select(c => c.Name).ToList();

    /// <summary>Closes, as an operator would from the management UI, every connection <see cref="ConnectionsAsync"/> lists; answers how many.</summary>
    public async Task<int> CloseConnectionsAsync(string vhost, string nameSuffix)
    {
        var closing = await ConnectionsAsync(vhost, nameSuffix);
        foreach (var name in closing)
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, $"connections/{Uri.EscapeDataString(name)}");
            request.Headers.Add("X-Reason", "closed by a fault-matrix test");
            (await _http.SendAsync(request)).EnsureSuccessStatusCode();
        }
        return closing.Count;
    }

    public void Dispose()
    {
        _http.Dispose();
        _broker.Dispose();
    }

    sealed record ConnectionInfo([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("client_properties")] ClientProperties? Client);

    sealed record ClientProperties([property: JsonPropertyName("connection_name")] string? ConnectionName);

    sealed record VhostInfo([property: JsonPropertyName("name")] string Name);
}
