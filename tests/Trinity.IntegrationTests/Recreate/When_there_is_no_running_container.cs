using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// Two agents leave subscription mode (a recreate): <c>ghost</c> has no container at all, <c>idle</c>'s is
/// stopped. Nothing is recreated; the next start bakes the database's environment.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_there_is_no_running_container(When_there_is_no_running_container.Scenario scenario)
    : IClassFixture<When_there_is_no_running_container.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string StoppedContainer { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var a = await AddSubscriptionAsync("subscription-a", Canary.NewToken());
            var idle = await RunContainerAgentAsync("idle", Canary.NewToken());
            await Containers.StopAsync(idle.ContainerId);
            StoppedContainer = idle.ContainerId;
            await RegisterAgentAsync("idle", a.Id, idle.BaseUrl, idle.ControlKey, idle.ContainerId);
            await RegisterAgentAsync("ghost", a.Id, "http://127.0.0.1:9", Canary.NewToken());
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartContainerManagerAsync();

            foreach (var agent in new[] { "idle", "ghost" })
                await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = agent, SubscriptionId = null, RequestedBy = "operator" });
            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count == 2, "both switches");
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void Each_is_skipped_with_its_reason()
    {
        var skipped = scenario.Observer.Received<ContainerRecreateSkipped>().ToDictionary(s => s.AgentName, s => s.Reason);
        Assert.Equal(RecreateSkipReason.NoContainer, skipped["ghost"]);
        Assert.Equal(RecreateSkipReason.NotRunning, skipped["idle"]);
        Assert.All(scenario.Observer.Received<AgentSubscriptionSwitched>(), s => Assert.Equal(SwitchMethod.Skipped, s.Method));
    }

    [Fact]
    public async Task The_decision_sticks_and_the_stopped_container_is_left_alone()
    {
        Assert.Null((await scenario.AgentAsync("idle")).SubscriptionId);
        Assert.All(await scenario.RotationsAsync(), r => Assert.Equal(RotationOutcome.Succeeded, r.Outcome));
        var inspected = await scenario.Containers.Docker.Containers.InspectContainerAsync(scenario.StoppedContainer);
        Assert.False(inspected.State.Running);
    }
}
