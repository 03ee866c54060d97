using System.Net;
using Microsoft.EntityFrameworkCore;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// Three recreates that cannot finish, each of an agent in a real container, and each must end with the agent running:
/// <c>dropped</c> loses its lease to another actor while it drains (nothing may be stopped then); <c>halted</c> loses
/// it right after its old container was stopped (held there by an injected pause); <c>broken</c> fails once its new
/// container was created (an injected fault, standing for a health-check timeout or a database error).
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_a_recreate_loses_its_lease_or_fails_half_way(When_a_recreate_loses_its_lease_or_fails_half_way.Scenario scenario)
    : IClassFixture<When_a_recreate_loses_its_lease_or_fails_half_way.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string Token { get; } = Canary.NewToken();
        public Dictionary<string, ContainerAgent> Agents { get; } = [];
        public Dictionary<string, Guid> Rotations { get; } = [];
        public ServiceProcess Manager { get; private set; } = null!;
        public HttpStatusCode TurnAfterDrop { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var a = await AddSubscriptionAsync("subscription-a", Token);
            var modelApi = await StartModelApiAsync();
            foreach (var name in new[] { "dropped", "halted", "broken" })
            {
                var agent = await RunContainerAgentAsync(name, Token, new Dictionary<string, string?>
                {
                    ["Trinity__Agent__Turns__Command"] = "/app/fake-claude",
                    ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
                });
                await RegisterAgentAsync(name, a.Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
                Agents[name] = agent;
                Rotations[name] = Guid.NewGuid();
            }
            await StartObserverAsync();
            Manager = await StartContainerManagerAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__FaultInjection__Points__recreate-stopped"] = "pause:4000",
                ["Trinity__FaultInjection__Points__recreate-created"] = "fail",
            });
            var manager = await Observer.Bus.GetSendEndpoint(EntityNames.QueueAddress(EntityNames.Queues.ContainerManagerOf(DockerHostName.Local)));
            Task Recreate(string name) => manager.Send(new RecreateContainer
            {
                RotationId = Rotations[name], AgentName = name, Reason = "a test", DrainTimeout = TimeSpan.FromSeconds(30), FencingToken = 0,
            });

            // dropped: a turn keeps the drain going; the lease is taken from the manager meanwhile.
            var turn = await Agents["dropped"].StartTurnAsync(durationSeconds: 6);
            await Recreate("dropped");
            await Eventually.Until(async () => (await Agents["dropped"].SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "x" })).StatusCode,
                status => status == HttpStatusCode.ServiceUnavailable, "dropped to drain");
            await StealLeaseAsync("dropped", "another-actor", TimeSpan.FromMinutes(1));
            await Answered("dropped");
            await Agents["dropped"].WaitForTurnToEndAsync(turn.Id);
            using (var after = await Agents["dropped"].SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "after" }))
                TurnAfterDrop = after.StatusCode;

            // halted: the manager is held right after the stop; the lease is taken then.
            await Recreate("halted");
            await Eventually.Until(() => Manager.Output.Any(l => l.Contains("step recreate-stopped reached", StringComparison.Ordinal)), "halted's old container to be stopped");
            await StealLeaseAsync("halted", "another-actor", TimeSpan.FromMinutes(1));
            await Answered("halted");

            await Recreate("broken");
            await Answered("broken");
            await WaitUntilQuietAsync();
        }

        Task Answered(string name) =>
            Eventually.Until(() => Observer.Received<TokenRotationFailed>().Any(f => f.AgentName == name) || Observer.Received<ContainerRecreated>().Any(r => r.AgentName == name),
                $"the manager to answer for {name}", TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("dropped", "the agent's lease was lost after Drained; nothing was stopped; the agent admits turns again")]
    [InlineData("halted", "the agent's lease was lost after Stopped; the old container")]
    [InlineData("broken", "InjectedFaultException after Created: Fault injected at recreate-created.; the previous configuration was restored from the journal")]
    public void The_recreate_says_why_it_stopped_and_how_the_agent_was_put_back(string agent, string detail)
    {
        var failed = Assert.Single(scenario.Observer.Received<TokenRotationFailed>(), f => f.AgentName == agent);
        Assert.Equal((scenario.Rotations[agent], RotationFailureReason.RecreateFailed), (failed.RotationId, failed.Reason));
        Assert.StartsWith(detail, failed.Detail, StringComparison.Ordinal);
        Assert.Empty(scenario.Observer.Received<ContainerRecreated>());
    }

    [Fact]
    public async Task An_agent_whose_lease_was_lost_before_the_stop_keeps_its_container_and_its_turn_and_admits_turns_again()
    {
        var container = await scenario.Containers.ByNameAsync("dropped");
        Assert.Equal((scenario.Agents["dropped"].ContainerId, true), (container.ID, container.State.Running));
        Assert.Equal(HttpStatusCode.Created, scenario.TurnAfterDrop);
    }

    [Fact]
    public async Task An_agent_whose_lease_was_lost_after_the_stop_runs_its_old_container_again()
    {
        var container = await scenario.Containers.ByNameAsync("halted");
        Assert.Equal((scenario.Agents["halted"].ContainerId, true), (container.ID, container.State.Running));
        Assert.True(await scenario.Agents["halted"].IsHealthyAsync());
    }

    [Fact]
    public async Task An_agent_whose_recreate_failed_after_the_old_container_was_gone_runs_its_previous_configuration()
    {
        var container = await scenario.Containers.ByNameAsync("broken");
        Assert.True(container.State.Running);
        Assert.NotEqual(scenario.Agents["broken"].ContainerId, container.ID);
        Assert.Contains($"TRINITY_AGENT_CONTROL_KEY={scenario.Agents["broken"].ControlKey}", container.Config.Env);
        var agent = await scenario.AgentAsync("broken");
        Assert.Equal(container.ID, agent.ContainerId);
        // Its own configuration, but today's fence: a reload the agent refused before the recreate stays refused.
        Assert.Contains($"TRINITY_AGENT_FENCE={agent.FencingToken}", container.Config.Env);
        Assert.True(await scenario.Agents["broken"].IsHealthyAsync());
    }

    [Fact]
    public async Task No_journal_is_left_behind()
    {
        await using var db = scenario.NewDbContext();
        Assert.False(await db.RecreateJournal.AnyAsync());
    }
}
