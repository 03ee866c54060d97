using System.Net;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.AgentServer.Tests.Containers;

/// <summary>The agent image on the local Docker engine, host networking, loopback only.</summary>
[Collection(DockerCollection.Name)]
public sealed class The_agent_container : IAsyncLifetime
{
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    readonly AgentContainers _containers = new($"{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..8]}");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _containers.DisposeAsync();

    static async Task ReloadAsync(AgentClient agent, string token) =>
        (await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token })).EnsureSuccessStatusCode();

    [Fact]
    public async Task A_stop_and_start_keeps_the_rotated_token()
    {
        var (baked, rotated) = (Canary.NewToken(), Canary.NewToken());
        var agent = await ContainerAgent.RunAsync(_containers, "stopstart", baked);
        await ReloadAsync(agent, rotated);
        var id = agent.ContainerId;

        await agent.StopAndStartAsync();

        var live = await agent.LiveCredentialAsync();
        Assert.Equal((TokenFingerprint.Of(rotated), "OverrideFile"), (live.Fingerprint, live.Source));
        Assert.Equal(id, agent.ContainerId);
    }

    [Fact]
    public async Task A_recreate_from_the_same_image_and_configuration_drops_the_override_and_the_baked_token_is_live_again()
    {
        var (baked, rotated) = (Canary.NewToken(), Canary.NewToken());
        var agent = await ContainerAgent.RunAsync(_containers, "recreate", baked);
        await ReloadAsync(agent, rotated);
        var before = agent.ContainerId;

        await agent.RecreateAsync();

        var live = await agent.LiveCredentialAsync();
        Assert.Equal((TokenFingerprint.Of(baked), "Environment"), (live.Fingerprint, live.Source));
        Assert.NotEqual(before, agent.ContainerId);
    }

    [Fact]
    public async Task The_override_file_is_owner_only_and_owned_by_the_unprivileged_agent_user()
    {
        var rotated = Canary.NewToken();
        var agent = await ContainerAgent.RunAsync(_containers, "filemode", Canary.NewToken());
        await ReloadAsync(agent, rotated);

        var file = await _containers.ReadFileAsync(agent.ContainerId, "/var/lib/trinity/oauth-token");
        var inspected = await _containers.Docker.Containers.InspectContainerAsync(agent.ContainerId);

        Assert.Equal((OwnerOnly, 1000, rotated), (file.Mode, file.Uid, file.Content));
        Assert.Equal("1000:1000", inspected.Config.User);
        // The override is the only file a reload writes: never .env or any other configuration.
        var changes = await _containers.Docker.Containers.InspectChangesAsync(agent.ContainerId);
        Assert.Equal(["/var/lib/trinity/oauth-token"], changes.Select(c => c.Path).Where(p => !p.StartsWith("/tmp", StringComparison.Ordinal) && p != "/var/lib/trinity" && p != "/var/lib" && p != "/var"));
    }

    [Fact]
    public async Task Refusals_change_nothing_in_the_container()
    {
        var baked = Canary.NewToken();
        var agent = await ContainerAgent.RunAsync(_containers, "refusals", baked);

        using var noKey = await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = Canary.NewToken() }, authorization: null);
        using var empty = await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = " " });

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.BadRequest), (noKey.StatusCode, empty.StatusCode));
        Assert.Equal(TokenFingerprint.Of(baked), (await agent.LiveCredentialAsync()).Fingerprint);
        await Assert.ThrowsAnyAsync<Exception>(() => _containers.ReadFileAsync(agent.ContainerId, "/var/lib/trinity/oauth-token"));
    }

    [Fact]
    public async Task The_legacy_image_answers_404_on_the_reload_endpoint_as_an_image_from_before_it_would()
    {
        var baked = Canary.NewToken();
        var agent = await ContainerAgent.RunAsync(_containers, "legacy", baked, image: AgentContainers.LegacyImage);

        using var response = await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = Canary.NewToken() });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(TokenFingerprint.Of(baked), (await agent.LiveCredentialAsync()).Fingerprint);
    }
}
