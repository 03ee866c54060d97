using System.Text.RegularExpressions;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Safety;

/// <summary>
/// A prompt-injected turn in the real agent image, after a switch from an old token to a new one, looks everywhere a
/// secret could be: every process's environment and command line, the server's memory, ptrace and .NET diagnostics
/// socket, every file under
/// <c>/var/lib/trinity</c> and <c>$HOME</c>. It runs as the server's own user (the image is non-root). It finds the
/// token the agent runs now — the one it needs, which proves the look reads for real — and nothing else. The server
/// masks known tokens in a turn's output, so what is looked for is each secret's fingerprint, which no mask hides.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_a_turn_looks_for_secrets(When_a_turn_looks_for_secrets.Scenario scenario) : IClassFixture<When_a_turn_looks_for_secrets.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string OldToken { get; } = Canary.NewToken();
        public string NewToken { get; } = Canary.NewToken();
        public ContainerAgent Agent { get; private set; } = null!;
        public string Output { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Agent = await RunContainerAgentAsync("prober", OldToken, new Dictionary<string, string?> { ["Trinity__Agent__Turns__Command"] = "/app/fake-claude" });
            using (var reload = await Agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token", new { token = NewToken, remove_api_key = true, fencing_token = 1 }))
                reload.EnsureSuccessStatusCode();

            var turn = await Agent.StartTurnAsync("probe-secrets");
            Output = (await Agent.WaitForTurnToEndAsync(turn.Id)).Output ?? "";
        }
    }

    [Fact]
    public void The_look_read_everything_it_was_allowed_to()
    {
        Assert.StartsWith("probe started", scenario.Output, StringComparison.Ordinal);
        Assert.Contains("probe done", scenario.Output, StringComparison.Ordinal);
        var running = $"(fingerprint {TokenFingerprint.Of(scenario.NewToken)})";
        Assert.Matches($@"environ self: CLAUDE_CODE_OAUTH_TOKEN=\S+ {Regex.Escape(running)}", scenario.Output);
        Assert.Matches($@"file /var/lib/trinity/oauth-token: \S+ {Regex.Escape(running)}", scenario.Output);
    }

    [Fact]
    public void The_servers_environment_memory_and_ptrace_are_closed_to_the_turn()
    {
        Assert.Contains("environ 1: denied", scenario.Output, StringComparison.Ordinal);
        Assert.Contains("mem 1: denied", scenario.Output, StringComparison.Ordinal);
        Assert.Contains("ptrace 1: denied", scenario.Output, StringComparison.Ordinal);
        // Its diagnostics socket would hand out its environment to any process of its user: there is none.
        Assert.DoesNotContain("dotnet-diagnostic-1-", scenario.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Neither_the_control_key_nor_the_token_the_agent_left_is_found()
    {
        foreach (var secret in new[] { scenario.Agent.ControlKey, scenario.OldToken })
        {
            Assert.DoesNotContain(secret, scenario.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(TokenFingerprint.Of(secret), scenario.Output, StringComparison.Ordinal);
        }
    }
}
