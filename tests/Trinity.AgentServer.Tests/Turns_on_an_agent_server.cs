using System.Net;
using System.Net.Http.Json;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.AgentServer.Tests;

/// <summary>Turns are subprocesses started from the agent's environment as it is at that moment.</summary>
public sealed class Turns_on_an_agent_server : IAsyncLifetime
{
    readonly AgentServers _servers = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    static Dictionary<string, string?> Shell(string script) => new()
    {
        ["Trinity__Agent__Turns__Command"] = "/bin/sh",
        ["Trinity__Agent__Turns__Arguments__0"] = "-c",
        ["Trinity__Agent__Turns__Arguments__1"] = script,
    };

    /// <summary>Prints the fingerprint of the token the turn's process actually has, after an optional pause.</summary>
    static Dictionary<string, string?> PrintFingerprintAfter(int seconds) =>
        Shell($"sleep {seconds}; printf %s \"$CLAUDE_CODE_OAUTH_TOKEN\" | sha256sum | cut -c1-12");

    [Fact]
    public async Task A_turn_in_flight_keeps_its_token_and_the_next_turn_gets_the_reloaded_one()
    {
        var (baked, rotated) = (Canary.NewToken(), Canary.NewToken());
        var agent = await _servers.StartAsync(baked, extra: PrintFingerprintAfter(2));

        var before = await agent.StartTurnAsync();
        (await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = rotated })).EnsureSuccessStatusCode();
        var after = await agent.StartTurnAsync();

        var first = await agent.WaitForTurnToEndAsync(before.Id);
        var second = await agent.WaitForTurnToEndAsync(after.Id);
        Assert.Equal(("Completed", TokenFingerprint.Of(baked)), (first.Ending, first.Fingerprint));
        Assert.Contains(TokenFingerprint.Of(baked), first.Output, StringComparison.Ordinal);
        Assert.Equal(("Completed", TokenFingerprint.Of(rotated)), (second.Ending, second.Fingerprint));
        Assert.Contains(TokenFingerprint.Of(rotated), second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_turn_cannot_see_the_control_key_and_its_output_never_shows_the_token()
    {
        var token = Canary.NewToken();
        var agent = await _servers.StartAsync(token, extra: Shell("env"));

        var turn = await agent.WaitForTurnToEndAsync((await agent.StartTurnAsync()).Id);

        Assert.Equal("Completed", turn.Ending);
        Assert.Contains("CLAUDE_CODE_OAUTH_TOKEN=[redacted]", turn.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("TRINITY_AGENT_CONTROL_KEY", turn.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(agent.ControlKey, turn.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, turn.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_that_removes_the_api_key_takes_it_from_every_later_turn()
    {
        var agent = await _servers.StartAsync(Canary.NewToken(), extra: new Dictionary<string, string?>(Shell("env | cut -d= -f1"))
        {
            ["ANTHROPIC_API_KEY"] = "sk-ant-api03-platform-key-0123456789",
        });
        var before = await agent.WaitForTurnToEndAsync((await agent.StartTurnAsync()).Id);

        (await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = Canary.NewToken(), remove_api_key = true })).EnsureSuccessStatusCode();
        var after = await agent.WaitForTurnToEndAsync((await agent.StartTurnAsync()).Id);

        Assert.Contains("ANTHROPIC_API_KEY", before.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ANTHROPIC_API_KEY", after.Output, StringComparison.Ordinal);
        Assert.Contains("CLAUDE_CODE_OAUTH_TOKEN", after.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_turn_that_hits_the_model_apis_rate_limit_ends_rate_limited()
    {
        var token = Canary.NewToken();
        var modelApi = await ModelApiSimulatorProcess.StartAsync((service, name, env) => _servers.Track(service, name, env), requestsPerWindow: 2);
        var agent = await _servers.StartAsync(token, extra: new Dictionary<string, string?>
        {
            ["Trinity__Agent__Turns__Command"] = RepositoryPaths.FakeClaudeCli,
            ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
            ["TRINITY_FAKE_CLI_INTERVAL_MS"] = "100",
        });

        var turn = await agent.WaitForTurnToEndAsync((await agent.StartTurnAsync(durationSeconds: 5)).Id);

        Assert.Equal(("RateLimited", 1), (turn.Ending, turn.ExitCode));
        Assert.Contains("429", turn.Output, StringComparison.Ordinal);
        var requests = await modelApi.RequestsAsync();
        Assert.Equal([200, 200, 429], requests.Select(r => r.Status));
        Assert.All(requests, r => Assert.Equal(TokenFingerprint.Of(token), r.Fingerprint));
        modelApi.Dispose();
    }

    [Theory]
    [InlineData("echo done", "Completed", 0)]
    [InlineData("echo 'API Error: 429 rate_limit_error' >&2; exit 1", "RateLimited", 1)]
    [InlineData("echo 'something broke' >&2; exit 3", "Failed", 3)]
    [InlineData("kill -TERM $$", "KilledBySignal", 143)]
    public async Task A_turn_reports_how_it_ended(string script, string ending, int exitCode)
    {
        var agent = await _servers.StartAsync(Canary.NewToken(), extra: Shell(script));

        var turn = await agent.WaitForTurnToEndAsync((await agent.StartTurnAsync()).Id);

        Assert.Equal((ending, exitCode), (turn.Ending, turn.ExitCode));
    }

    [Fact]
    public async Task Draining_refuses_new_turns_with_503_and_reports_the_turns_in_flight_until_resumed()
    {
        var agent = await _servers.StartAsync(Canary.NewToken(), extra: Shell("sleep 3"));
        var running = await agent.StartTurnAsync();

        using var drain = await agent.SendAsync(HttpMethod.Post, "/api/drain");
        var admission = await drain.Content.ReadFromJsonAsync<Admission>();
        using var refused = await agent.SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "more work" });
        var inFlight = await (await agent.SendAsync(HttpMethod.Get, "/api/turns?state=running")).Content.ReadFromJsonAsync<List<TurnView>>();

        Assert.Equal(new Admission(true, 1), admission);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("draining", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(running.Id, Assert.Single(inFlight!).Id);
        Assert.Equal("Completed", (await agent.WaitForTurnToEndAsync(running.Id)).Ending);

        using var resume = await agent.SendAsync(HttpMethod.Post, "/api/resume");
        Assert.Equal(new Admission(false, 0), await resume.Content.ReadFromJsonAsync<Admission>());
        await agent.StartTurnAsync();
    }

    [Fact]
    public async Task A_turn_command_that_cannot_start_gets_a_clear_error()
    {
        var agent = await _servers.StartAsync(Canary.NewToken(), extra: new Dictionary<string, string?> { ["Trinity__Agent__Turns__Command"] = "/nonexistent/claude" });

        using var response = await agent.SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "x" });

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("/nonexistent/claude", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_turn_route_requires_the_control_key()
    {
        var agent = await _servers.StartAsync(Canary.NewToken(), extra: Shell("echo hi"));
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/api/turns"), (HttpMethod.Get, "/api/turns"), (HttpMethod.Post, "/api/drain"), (HttpMethod.Post, "/api/resume") })
        {
            using var response = await agent.SendAsync(method, path, new { prompt = "x" }, authorization: null);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using var list = await agent.SendAsync(HttpMethod.Get, "/api/turns");
        Assert.Empty((await list.Content.ReadFromJsonAsync<List<TurnView>>())!);
    }

    sealed record Admission(bool Draining, int InFlight);
}
