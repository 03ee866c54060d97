using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// <c>returning</c> was stopped while its assignment moved to B (a skipped rotation); <c>newcomer</c> has never
/// had a container. A start creates or starts each from the database's view, so both run B's token.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_an_agent_is_started(When_an_agent_is_started.Scenario scenario) : IClassFixture<When_an_agent_is_started.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenB { get; } = Canary.NewToken();
        public string StoppedContainer { get; private set; } = "";
        public Dictionary<string, LiveCredential> Live { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            await AddSubscriptionAsync("subscription-a", tokenA);
            var b = await AddSubscriptionAsync("subscription-b", TokenB);
            var returning = await RunContainerAgentAsync("returning", tokenA);
            await Containers.StopAsync(returning.ContainerId);
            StoppedContainer = returning.ContainerId;
            await RegisterAgentAsync("returning", b.Id, returning.BaseUrl, returning.ControlKey, returning.ContainerId);
            await RegisterAgentAsync("newcomer", b.Id, $"http://127.0.0.1:{FreePort.Next()}", controlKey: null);
            await StartObserverAsync();
            await StartContainerManagerAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__ContainerManager__ContainerNamePrefix"] = $"trinity-test-{RunId}-",
                [$"Trinity__ContainerManager__Labels__{AgentContainers.TestRunLabel}"] = RunId,
            });

            await Observer.Publish(new StartAgentContainer { AgentName = "returning" });
            await Observer.Publish(new StartAgentContainer { AgentName = "newcomer" });
            await Eventually.Until(() => Observer.Received<AgentContainerStarted>().Count == 2, "both agents to start", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
            foreach (var name in new[] { "returning", "newcomer" })
            {
                using var client = await PlacedClientAsync(name);
                Live[name] = await client.LiveCredentialAsync();
            }
        }
    }

    [Fact]
    public void A_stopped_agent_starts_with_the_token_the_database_holds()
    {
        Assert.Equal((TokenFingerprint.Of(scenario.TokenB), "Environment"), (scenario.Live["returning"].Fingerprint, scenario.Live["returning"].Source));
        Assert.Contains(scenario.Observer.Received<AgentContainerStarted>(), s => s.AgentName == "returning" && s.ContainerId != scenario.StoppedContainer);
    }

    [Fact]
    public async Task An_agent_without_a_container_gets_one_from_the_agent_image()
    {
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), scenario.Live["newcomer"].Fingerprint);
        var created = await scenario.Containers.Docker.Containers.InspectContainerAsync($"trinity-test-{scenario.RunId}-newcomer");
        Assert.Equal(("newcomer", "host", AgentContainers.Image), (created.Config.Labels["trinity.agent"], created.HostConfig.NetworkMode, created.Config.Image));
        Assert.Contains($"trinity-test-{scenario.RunId}-newcomer-workspace:/home/developer", created.HostConfig.Binds);
        Assert.Equal(created.ID, (await scenario.AgentAsync("newcomer")).ContainerId);
    }
}
