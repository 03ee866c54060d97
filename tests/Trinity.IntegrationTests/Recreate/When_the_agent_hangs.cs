using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// Two agents whose containers are frozen (<c>docker pause</c>): connections open but nothing answers.
/// <c>frozen</c> stays frozen: after its bounded retries the worker falls back to a recreate, which cannot drain
/// it and replaces it. <c>thawing</c> is thawed while the worker is killed (SIGKILL) in the middle of its call:
/// the command is redelivered to a new worker and the rotation completes once, by hot-reload.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_the_agent_hangs(When_the_agent_hangs.Scenario scenario) : IClassFixture<When_the_agent_hangs.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public Subscription B { get; private set; } = null!;
        public ContainerAgent Thawing { get; private set; } = null!;
        public string ThawingContainer { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var a = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            var frozen = await RunContainerAgentAsync("frozen", TokenA);
            Thawing = await RunContainerAgentAsync("thawing", TokenA);
            ThawingContainer = Thawing.ContainerId;
            foreach (var agent in new[] { frozen, Thawing })
            {
                await RegisterAgentAsync(agent.AgentName, a.Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
                await Containers.Docker.Containers.PauseContainerAsync(agent.ContainerId);
            }
            await StartObserverAsync();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__ReloadDeadline"] = "00:01:00" });
            await StartContainerManagerAsync(extra: new Dictionary<string, string?> { ["Trinity__ContainerManager__AgentCallTimeout"] = "00:00:02" });

            // The first worker waits long on the thawing agent, so it can be killed mid-call.
            var doomed = await StartRotationWorkerAsync("rotation-worker-killed", new Dictionary<string, string?> { ["Trinity__RotationWorker__AgentCallTimeout"] = "00:01:00" });
            await Observer.Publish(Failure("thawing", a.Id));
            await Eventually.Until(async () => (await QueuesAsync()).Any(q => q.Name == Trinity.Messaging.Contracts.EntityNames.Queues.RotationWorker && q.Unacked == 1),
                "the worker to be in the middle of its call");
            await doomed.KillAsync();
            await Containers.Docker.Containers.UnpauseContainerAsync(ThawingContainer);

            await StartRotationWorkerAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__RotationWorker__AgentCallTimeout"] = "00:00:01",
                ["Trinity__RotationWorker__UnreachableAttempts"] = "2",
                ["Trinity__RotationWorker__DrainTimeout"] = "00:00:03",
            });
            await Observer.Publish(Failure("frozen", a.Id));
            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count == 2, "both agents to be switched", TimeSpan.FromSeconds(90));
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public async Task An_unreachable_agent_is_recreated_after_the_bounded_retries()
    {
        Assert.Single(scenario.Observer.Received<TokenReloadFellBack>(), f => f.AgentName == "frozen" && f.Reason == FallbackReason.Unreachable);
        var switched = Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>(), s => s.AgentName == "frozen");
        Assert.Equal((SwitchMethod.Recreate, scenario.B.Id), (switched.Method, switched.To));
        var recreated = await scenario.Containers.ByNameAsync("frozen");
        Assert.True(recreated.State.Running && !recreated.State.Paused);
        Assert.Contains($"CLAUDE_CODE_OAUTH_TOKEN={scenario.TokenB}", recreated.Config.Env);
    }

    [Fact]
    public async Task A_worker_killed_mid_call_has_its_command_redelivered_and_the_rotation_completes_once()
    {
        var rotation = Assert.Single(await scenario.RotationsAsync("thawing"));
        Assert.Equal((RotationOutcome.Succeeded, SwitchMethod.HotReload), (rotation.Outcome, rotation.Method));
        Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>(), s => s.AgentName == "thawing");
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), (await scenario.Thawing.LiveCredentialAsync()).Fingerprint);
        Assert.Equal(scenario.ThawingContainer, (await scenario.Containers.ByNameAsync("thawing")).ID);
    }
}
