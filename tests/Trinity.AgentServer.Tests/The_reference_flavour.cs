using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Trinity.AgentProtocol;
using Trinity.Testing;

namespace Trinity.AgentServer.Tests;

/// <summary>
/// <c>Trinity:Agent:Protocol Reference</c> (what <c>trinity/agent:reference</c> runs) answers as the reference
/// platform's agent server does: the reload endpoint alone, without a key, answered without a fingerprint, the
/// token written to the override file. The probe tells it from this system's agent server.
/// </summary>
public sealed class The_reference_flavour : IAsyncLifetime
{
    readonly AgentServers _servers = new();
    readonly HttpClient _http = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _servers.DisposeAsync();
    }

    Task<AgentServerProcess> StartReferenceAsync(string baked, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?> { ["Trinity__Agent__Protocol"] = "Reference", ["TRINITY_AGENT_CONTROL_KEY"] = null };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            environment[key] = value;
        return _servers.StartAsync(baked, extra: environment);
    }

    [Fact]
    public async Task Reloads_without_a_key_and_answers_exactly_as_the_reference_does()
    {
        var rotated = Canary.NewToken();
        var agent = await StartReferenceAsync(Canary.NewToken());

        using var response = await _http.PostAsJsonAsync(AgentPaths.On(agent.BaseUrl, AgentPaths.ReloadToken), new { token = rotated, remove_api_key = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["reloaded", "status"], body.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(("success", true), (body.RootElement.GetProperty("status").GetString(), body.RootElement.GetProperty("reloaded").GetBoolean()));
        Assert.Equal(rotated, await File.ReadAllTextAsync(agent.OverrideFile));
    }

    [Fact]
    public async Task Refuses_an_empty_token_with_400_and_serves_no_other_route()
    {
        var agent = await StartReferenceAsync(Canary.NewToken());

        using var empty = await _http.PostAsJsonAsync(AgentPaths.On(agent.BaseUrl, AgentPaths.ReloadToken), new { token = "", remove_api_key = false });
        using var credentials = await agent.SendAsync(HttpMethod.Get, AgentPaths.Credentials);
        using var drain = await agent.SendAsync(HttpMethod.Post, AgentPaths.Drain, new { ttlSeconds = 10 });

        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.False(File.Exists(agent.OverrideFile));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (credentials.StatusCode, drain.StatusCode));
    }

    [Fact]
    public async Task Listens_on_the_port_agent_port_names()
    {
        // AGENT_PORT wins over ASPNETCORE_URLS, as the reference platform's start scripts set it.
        var port = FreePort.Next();
        var agent = await StartReferenceAsync(Canary.NewToken(), new Dictionary<string, string?> { ["AGENT_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var probe = new AgentProtocolClient(_http);

        await Eventually.Until(() => probe.IsHealthyAsync($"http://127.0.0.1:{port}", default), "the agent to answer on AGENT_PORT");
        Assert.False(await probe.IsHealthyAsync(agent.BaseUrl, default));
    }

    [Fact]
    public async Task The_probe_tells_a_reference_agent_from_one_of_this_system()
    {
        var reference = await StartReferenceAsync(Canary.NewToken());
        var ours = await _servers.StartAsync(Canary.NewToken());
        var probe = new AgentProtocolClient(_http);

        Assert.Equal(AgentProbe.Unauthenticated, await probe.ProbeAsync(reference.BaseUrl, default));
        Assert.Equal(AgentProbe.Authenticated, await probe.ProbeAsync(ours.BaseUrl, default));
        Assert.Equal(AgentProbe.Unreachable, await probe.ProbeAsync($"http://127.0.0.1:{FreePort.Next()}", default));
        Assert.False(File.Exists(reference.OverrideFile));
    }
}
