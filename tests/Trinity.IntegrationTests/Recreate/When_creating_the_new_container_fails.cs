using Docker.DotNet.Models;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// The agent runs from an image tag that disappears (as after a botched upgrade), so creating its new container
/// fails after the old one is gone. The manager restores service from the saved configuration, pinned to the
/// exact image it ran, and says so.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_creating_the_new_container_fails(When_creating_the_new_container_fails.Scenario scenario)
    : IClassFixture<When_creating_the_new_container_fails.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string Token { get; } = Canary.NewToken();
        public ContainerAgent Agent { get; private set; } = null!;
        public string Tag => $"doomed-{RunId}";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var a = await AddSubscriptionAsync("subscription-a", Token);
            await Containers.Docker.Images.TagImageAsync(AgentContainers.Image, new ImageTagParameters { RepositoryName = "trinity/agent", Tag = Tag });
            Agent = await RunContainerAgentAsync("fragile", Token, image: $"trinity/agent:{Tag}");
            await Containers.Docker.Images.DeleteImageAsync($"trinity/agent:{Tag}", new ImageDeleteParameters { Force = true });
            await RegisterAgentAsync("fragile", a.Id, Agent.BaseUrl, Agent.ControlKey, Agent.ContainerId);
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartContainerManagerAsync();

            await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = "fragile", SubscriptionId = null, RequestedBy = "operator" });
            await Eventually.Until(() => Observer.Received<TokenRotationFailed>().Count == 1, "the recreate to fail", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public async Task The_agent_is_serving_again_on_its_previous_configuration()
    {
        Assert.True(await scenario.Agent.IsHealthyAsync());
        Assert.Equal(TokenFingerprint.Of(scenario.Token), (await scenario.Agent.LiveCredentialAsync()).Fingerprint);
        var restored = await scenario.Containers.ByNameAsync("fragile");
        Assert.True(restored.State.Running);
        Assert.Equal(restored.ID, (await scenario.AgentAsync("fragile")).ContainerId);
    }

    [Fact]
    public async Task The_failure_says_so_and_the_agent_is_visibly_out_of_sync()
    {
        var failed = Assert.Single(scenario.Observer.Received<TokenRotationFailed>());
        Assert.Equal(RotationFailureReason.RecreateFailed, failed.Reason);
        Assert.Contains("restored", failed.Detail, StringComparison.Ordinal);
        Assert.Equal(RotationOutcome.Failed, Assert.Single(await scenario.RotationsAsync("fragile")).Outcome);
        Assert.True((await scenario.SagaAsync("fragile"))!.OutOfSync);
    }
}
