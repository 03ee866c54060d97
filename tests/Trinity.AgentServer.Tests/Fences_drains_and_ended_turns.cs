using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.AgentServer.Tests;

/// <summary>
/// What keeps an agent server from running a stale token or refusing turns for good: it refuses a reload older than
/// the fence it accepted (kept beside the override file, and baked by the container manager), a drain lapses unless
/// renewed, and the ended turns it keeps are bounded.
/// </summary>
public sealed class Fences_drains_and_ended_turns : IAsyncLifetime
{
    readonly AgentServers _servers = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task A_reload_older_than_the_fence_it_accepted_is_refused_with_409_and_changes_nothing()
    {
        var agent = await _servers.StartAsync(Canary.NewToken());
        var (newer, older) = (Canary.NewToken(), Canary.NewToken());

        using var accepted = await Reload(agent, newer, fence: 5);
        using var refused = await Reload(agent, older, fence: 4);
        using var again = await Reload(agent, newer, fence: 5);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Conflict, HttpStatusCode.OK), (accepted.StatusCode, refused.StatusCode, again.StatusCode));
        Assert.Contains("older than the fence 5", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var live = await agent.LiveCredentialAsync();
        Assert.Equal((TokenFingerprint.Of(newer), 2), (live.Fingerprint, live.Reloads));
        Assert.Equal(newer, await File.ReadAllTextAsync(agent.OverrideFile));
        Assert.Equal(5, (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("fence").GetInt64());
        var fenceFile = Path.Combine(Path.GetDirectoryName(agent.OverrideFile)!, "fence");
        Assert.Equal(("5", UnixFileMode.UserRead | UnixFileMode.UserWrite), (await File.ReadAllTextAsync(fenceFile), File.GetUnixFileMode(fenceFile)));
    }

    [Fact]
    public async Task The_fence_survives_a_restart_and_one_baked_into_the_container_is_where_it_starts()
    {
        var first = await _servers.StartAsync(Canary.NewToken());
        using (var _ = await Reload(first, Canary.NewToken(), fence: 7))
        {
        }
        await first.Process.StopAsync();

        var restarted = await _servers.StartAsync(Canary.NewToken(), extra: new Dictionary<string, string?> { ["Trinity__Agent__OverrideFile"] = first.OverrideFile });
        using var afterRestart = await Reload(restarted, Canary.NewToken(), fence: 6);
        var baked = await _servers.StartAsync(Canary.NewToken(), extra: new Dictionary<string, string?> { ["TRINITY_AGENT_FENCE"] = "9" });
        using var belowBaked = await Reload(baked, Canary.NewToken(), fence: 8);
        using var atBaked = await Reload(baked, Canary.NewToken(), fence: 9);

        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.OK), (afterRestart.StatusCode, belowBaked.StatusCode, atBaked.StatusCode));
    }

    [Fact]
    public async Task A_drain_lapses_by_itself_unless_it_is_renewed()
    {
        var agent = await _servers.StartAsync(Canary.NewToken(), extra: Shell("exit 0"));
        using var drained = await agent.SendAsync(HttpMethod.Post, "/api/drain", new { ttlSeconds = 2 });
        using var whileDraining = await agent.SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "hello" });
        await Task.Delay(TimeSpan.FromSeconds(1));
        using var renewed = await agent.SendAsync(HttpMethod.Post, "/api/drain", new { ttlSeconds = 2 });
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        using var stillDraining = await agent.SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "hello" });

        Assert.True((await drained.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("draining").GetBoolean());
        Assert.Equal((HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable), (whileDraining.StatusCode, stillDraining.StatusCode));
        await Eventually.Until(async () =>
        {
            using var turn = await agent.SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "hello" });
            return turn.StatusCode == HttpStatusCode.Created;
        }, "the drain nobody renewed to lapse", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Only_the_most_recent_ended_turns_are_kept()
    {
        var agent = await _servers.StartAsync(Canary.NewToken(), extra: new Dictionary<string, string?>(Shell("exit 0")) { ["Trinity__Agent__Turns__KeepEnded"] = "3" });
        for (var i = 0; i < 6; i++)
        {
            using var started = await agent.SendAsync(HttpMethod.Post, "/api/turns", new { prompt = $"turn {i}" });
            Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        }
        await Eventually.Until(async () => (await Turns(agent)).Count(t => t.GetProperty("state").GetString() == "Running"), n => n == 0, "every turn to end");
        Assert.Equal(3, (await Turns(agent)).Count);
    }

    static Task<HttpResponseMessage> Reload(AgentServerProcess agent, string token, long fence) =>
        agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new Dictionary<string, object> { ["token"] = token, ["fencing_token"] = fence });

    static async Task<List<JsonElement>> Turns(AgentServerProcess agent)
    {
        using var response = await agent.SendAsync(HttpMethod.Get, "/api/turns");
        return (await response.Content.ReadFromJsonAsync<List<JsonElement>>())!;
    }

    static Dictionary<string, string?> Shell(string script) => new()
    {
        ["Trinity__Agent__Turns__Command"] = "/bin/sh",
        ["Trinity__Agent__Turns__Arguments__0"] = "-c",
        ["Trinity__Agent__Turns__Arguments__1"] = script,
    };
}
