using System.Net;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.AgentServer.Tests;

/// <summary>POST /api/credentials/reload-token on a real agent server process.</summary>
public sealed class The_reload_endpoint : IAsyncLifetime
{
    readonly AgentServers _servers = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task Swaps_the_live_token_and_writes_the_override_file_owner_only()
    {
        var baked = Canary.NewToken();
        var rotated = Canary.NewToken();
        var agent = await _servers.StartAsync(baked);
        Assert.Equal(TokenFingerprint.Of(baked), (await agent.LiveCredentialAsync()).Fingerprint);

        using var response = await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = rotated });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(rotated, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var live = await agent.LiveCredentialAsync();
        Assert.Equal((TokenFingerprint.Of(rotated), "Reload"), (live.Fingerprint, live.Source));
        Assert.Equal(rotated, await File.ReadAllTextAsync(agent.OverrideFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(agent.OverrideFile));
    }

    [Fact]
    public async Task Forces_an_existing_override_file_back_to_owner_only()
    {
        var agent = await _servers.StartAsync(Canary.NewToken(), existingOverride: "",
            overrideMode: UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        using var response = await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = Canary.NewToken() });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(agent.OverrideFile));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key-0123456789abcdef")]
    [InlineData("Basic dHJpbml0eTp0cmluaXR5")]
    public async Task Refuses_a_missing_or_wrong_control_key_with_401_and_changes_nothing(string? authorization)
    {
        var baked = Canary.NewToken();
        var agent = await _servers.StartAsync(baked);

        using var response = await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = Canary.NewToken() }, authorization);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(TokenFingerprint.Of(baked), (await agent.LiveCredentialAsync()).Fingerprint);
        Assert.False(File.Exists(agent.OverrideFile));
    }

    [Fact]
    public async Task Refuses_to_read_the_credential_state_without_the_control_key()
    {
        var agent = await _servers.StartAsync(Canary.NewToken());
        using var response = await agent.SendAsync(HttpMethod.Get, "/api/credentials", body: null, authorization: null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public async Task Refuses_an_empty_token_with_400_naming_the_field_and_changes_nothing(string? token)
    {
        var baked = Canary.NewToken();
        var agent = await _servers.StartAsync(baked);

        using var response = await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(TokenFingerprint.Of(baked), (await agent.LiveCredentialAsync()).Fingerprint);
        Assert.False(File.Exists(agent.OverrideFile));
    }

    [Fact]
    public async Task Answers_health_without_a_key()
    {
        var agent = await _servers.StartAsync(Canary.NewToken());
        using var response = await agent.SendAsync(HttpMethod.Get, "/health", body: null, authorization: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
