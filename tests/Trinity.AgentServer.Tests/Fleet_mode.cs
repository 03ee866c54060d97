using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.AgentServer.Tests;

/// <summary>One process serving many agents, each under its own base path with its own key, token and override file.</summary>
public sealed class Fleet_mode : IAsyncLifetime
{
    const int Agents = 200;
    readonly AgentServers _servers = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    sealed record Entry(string Name, string ControlKey, string Token);

    [Fact]
    public async Task Two_hundred_agents_reload_independently_and_one_agent_reload_never_changes_another()
    {
        var fleet = Enumerable.Range(0, Agents)
            .Select(i => new Entry($"f{i:000}", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Canary.NewToken()))
            .ToList();
        var server = await StartFleetAsync(fleet, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };

        // Every other agent gets a new token; the rest must keep theirs.
        var rotated = fleet.Where((_, i) => i % 2 == 0).ToDictionary(a => a.Name, _ => Canary.NewToken());
        await Parallel.ForEachAsync(rotated, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (pair, _) =>
        {
            var agent = fleet.Single(a => a.Name == pair.Key);
            using var response = await Send(http, HttpMethod.Post, $"/agents/{agent.Name}/api/credentials/reload-token", agent.ControlKey, new { token = pair.Value });
            response.EnsureSuccessStatusCode();
        });

        foreach (var agent in fleet)
        {
            using var response = await Send(http, HttpMethod.Get, $"/agents/{agent.Name}/api/credentials", agent.ControlKey);
            var live = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("fingerprint").GetString();
            var expected = rotated.TryGetValue(agent.Name, out var token) ? token : agent.Token;
            Assert.Equal(TokenFingerprint.Of(expected), live);
        }
        Assert.Equal(rotated.Count, Directory.GetFiles(Path.Combine(_servers.LogDirectory, "fleet-overrides"), "oauth-token", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task One_agent_key_opens_no_other_agent()
    {
        var fleet = new[] { new Entry("a", new string('a', 32), Canary.NewToken()), new Entry("b", new string('b', 32), Canary.NewToken()) };
        var server = await StartFleetAsync(fleet.ToList(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };

        using var crossed = await Send(http, HttpMethod.Post, "/agents/b/api/credentials/reload-token", fleet[0].ControlKey, new { token = Canary.NewToken() });
        using var unknown = await Send(http, HttpMethod.Get, "/agents/nobody/api/credentials", fleet[0].ControlKey);

        Assert.Equal(HttpStatusCode.Unauthorized, crossed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
    }

    [Fact]
    public async Task A_fleet_file_readable_by_others_is_refused()
    {
        var path = WriteFleetFile([new Entry("a", new string('a', 32), Canary.NewToken())], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var process = await _servers.StartExpectingRefusalAsync(new Dictionary<string, string?> { ["Trinity__Agent__FleetFile"] = path });

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("readable by its owner only", process.OutputText, StringComparison.Ordinal);
    }

    async Task<AgentServerProcess> StartFleetAsync(List<Entry> fleet, UnixFileMode mode) =>
        await _servers.StartAsync(bakedToken: null, extra: new Dictionary<string, string?>
        {
            ["Trinity__Agent__FleetFile"] = WriteFleetFile(fleet, mode),
            ["Trinity__Agent__FleetOverrideDirectory"] = Path.Combine(_servers.LogDirectory, "fleet-overrides"),
        });

    string WriteFleetFile(IEnumerable<Entry> fleet, UnixFileMode mode)
    {
        var path = Path.Combine(_servers.LogDirectory, $"fleet-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(fleet.Select(a => new { name = a.Name, controlKey = a.ControlKey, token = a.Token })));
        File.SetUnixFileMode(path, mode);
        return path;
    }

    static Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string key, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : System.Net.Http.Json.JsonContent.Create(body) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return http.SendAsync(request);
    }
}
