using Microsoft.EntityFrameworkCore;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// A container manager is killed (SIGKILL, at an injected fault) right after it removed an agent's old container —
/// the worst moment: the agent has no container at all. The restarted manager gets the command again and must finish
/// the recreate from its journal, not find "no container" and leave the agent down.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_the_container_manager_is_killed_mid_recreate(When_the_container_manager_is_killed_mid_recreate.Scenario scenario)
    : IClassFixture<When_the_container_manager_is_killed_mid_recreate.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string Token { get; } = Canary.NewToken();
        public string OldContainer { get; private set; } = "";
        public int? CrashExit { get; private set; }
        public bool ContainerAfterCrash { get; private set; }
        public bool JournalAfterCrash { get; private set; }
        public Guid RotationId { get; } = Guid.NewGuid();

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var a = await AddSubscriptionAsync("subscription-a", Token);
            var agent = await RunContainerAgentAsync("mortal", Token);
            OldContainer = agent.ContainerId;
            await RegisterAgentAsync("mortal", a.Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
            await StartObserverAsync();
            var dying = await StartContainerManagerAsync("container-manager-killed", new Dictionary<string, string?>
            {
                ["Trinity__FaultInjection__Points__recreate-removed"] = "crash",
            });

            var manager = await Observer.Bus.GetSendEndpoint(EntityNames.QueueAddress(EntityNames.Queues.ContainerManagerOf(DockerHostName.Local)));
            await manager.Send(new RecreateContainer { RotationId = RotationId, AgentName = "mortal", Reason = "a test", DrainTimeout = TimeSpan.FromSeconds(10), FencingToken = 0 });
            await dying.WaitForExitAsync(TimeSpan.FromSeconds(60));
            CrashExit = dying.ExitCode;
            ContainerAfterCrash = (await Containers.InspectOrNullAsync(OldContainer)) is not null;
            await using (var db = NewDbContext())
                JournalAfterCrash = await db.RecreateJournal.AnyAsync(j => j.AgentName == "mortal" && j.RotationId == RotationId);

            await StartContainerManagerAsync("container-manager-restarted");
            await Eventually.Until(() => Observer.Received<ContainerRecreated>().Count + Observer.Received<ContainerRecreateSkipped>().Count > 0,
                "the restarted manager to answer", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void The_manager_died_after_removing_the_old_container_with_its_journal_written()
    {
        Assert.Equal(137, scenario.CrashExit);
        Assert.False(scenario.ContainerAfterCrash);
        Assert.True(scenario.JournalAfterCrash);
    }

    [Fact]
    public async Task The_restarted_manager_finished_the_recreate_from_the_journal()
    {
        Assert.Empty(scenario.Observer.Received<ContainerRecreateSkipped>());
        var recreated = Assert.Single(scenario.Observer.Received<ContainerRecreated>());
        Assert.Equal((scenario.RotationId, scenario.OldContainer), (recreated.RotationId, recreated.OldContainerId));
        var running = await scenario.Containers.ByNameAsync("mortal");
        Assert.True(running.State.Running);
        Assert.Equal(recreated.NewContainerId, running.ID);
        Assert.Contains($"CLAUDE_CODE_OAUTH_TOKEN={scenario.Token}", running.Config.Env);
        Assert.Equal(running.ID, (await scenario.AgentAsync("mortal")).ContainerId);
        await using var db = scenario.NewDbContext();
        Assert.False(await db.RecreateJournal.AnyAsync());
    }
}
