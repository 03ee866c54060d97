using Microsoft.EntityFrameworkCore;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// An agent that uses the platform API key leaves subscription mode: its container is recreated with the API key
/// and without the token (the CLI prefers the key, so both must never coexist). The same command, delivered a
/// second time, does not recreate again.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_an_agent_moves_to_the_platform_api_key(When_an_agent_moves_to_the_platform_api_key.Scenario scenario)
    : IClassFixture<When_an_agent_moves_to_the_platform_api_key.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string PlatformKey = "sk-ant-api03-platform-key-for-tests-0123456789";
        public IList<string> EnvironmentAfter { get; private set; } = [];
        public string ContainerAfterFirst { get; private set; } = "";
        public string ContainerAfterDuplicate { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            var a = await AddSubscriptionAsync("subscription-a", tokenA);
            var agent = await RunContainerAgentAsync("keyed", tokenA);
            await RegisterAgentAsync("keyed", a.Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
            await using (var db = NewDbContext())
                await db.Agents.Where(x => x.Name == "keyed").ExecuteUpdateAsync(x => x.SetProperty(p => p.UseApiKey, true));
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartContainerManagerAsync(extra: new Dictionary<string, string?> { ["Trinity__ContainerManager__PlatformApiKey"] = PlatformKey });

            await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = "keyed", SubscriptionId = null, RequestedBy = "operator" });
            await Eventually.Until(() => Observer.Received<ContainerRecreated>().Count == 1, "the recreate", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
            var after = await Containers.ByNameAsync("keyed");
            (EnvironmentAfter, ContainerAfterFirst) = (after.Config.Env, after.ID);

            var rotation = (await RotationsAsync("keyed")).Single();
            var manager = await Observer.Bus.GetSendEndpoint(EntityNames.QueueAddress(EntityNames.Queues.ContainerManagerOf(DockerHostName.Local)));
            await manager.Send(new RecreateContainer
            {
                RotationId = rotation.Id, AgentName = "keyed", Reason = "redelivered", DrainTimeout = TimeSpan.FromSeconds(1), FencingToken = rotation.FencingToken,
            });
            await Eventually.Until(() => Observer.Received<ContainerRecreated>().Count == 2, "the duplicate to be answered", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
            ContainerAfterDuplicate = (await Containers.ByNameAsync("keyed")).ID;
        }
    }

    [Fact]
    public void The_container_gets_the_api_key_and_loses_the_token()
    {
        Assert.Contains($"ANTHROPIC_API_KEY={Scenario.PlatformKey}", scenario.EnvironmentAfter);
        Assert.DoesNotContain(scenario.EnvironmentAfter, e => e.StartsWith("CLAUDE_CODE_OAUTH_TOKEN=", StringComparison.Ordinal));
    }

    [Fact]
    public void A_duplicate_command_for_the_same_rotation_does_not_recreate_twice()
    {
        Assert.Equal(scenario.ContainerAfterFirst, scenario.ContainerAfterDuplicate);
        Assert.All(scenario.Observer.Received<ContainerRecreated>(), r => Assert.Equal(scenario.ContainerAfterFirst, r.NewContainerId));
    }
}
