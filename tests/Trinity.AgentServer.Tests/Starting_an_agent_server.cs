using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.AgentServer.Tests;

public sealed class Starting_an_agent_server : IAsyncLifetime
{
    readonly AgentServers _servers = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _servers.DisposeAsync();

    [Fact]
    public async Task A_non_empty_override_file_wins_over_the_baked_environment()
    {
        var rotated = Canary.NewToken();
        var agent = await _servers.StartAsync(bakedToken: Canary.NewToken(), existingOverride: rotated + "\n");

        var live = await agent.LiveCredentialAsync();

        Assert.Equal((TokenFingerprint.Of(rotated), "OverrideFile"), (live.Fingerprint, live.Source));
    }

    [Fact]
    public async Task An_empty_override_file_leaves_the_baked_token_live()
    {
        var baked = Canary.NewToken();
        var agent = await _servers.StartAsync(baked, existingOverride: "  \n");

        var live = await agent.LiveCredentialAsync();

        Assert.Equal((TokenFingerprint.Of(baked), "Environment"), (live.Fingerprint, live.Source));
    }

    [Fact]
    public async Task Without_a_control_key_it_refuses_to_start_and_says_why()
    {
        var process = await _servers.StartExpectingRefusalAsync(new Dictionary<string, string?> { ["TRINITY_AGENT_CONTROL_KEY"] = null });

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("TRINITY_AGENT_CONTROL_KEY is required", process.OutputText, StringComparison.Ordinal);
    }
}
