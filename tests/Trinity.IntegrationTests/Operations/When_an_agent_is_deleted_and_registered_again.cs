using System.Net;
using System.Net.Http.Json;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// <c>leaving</c> runs in a container on A's token with a 4-second turn in flight when an operator deletes it through
/// the API. The API touches no container: the agent's state machine has the container manager drain it (the turn
/// ends on its own), then stop and remove it under the agent's lease and fence, and ends. Registering the name again
/// while the drain runs is refused; once the container is gone it is accepted, on the same row, so the fence of the
/// first life still holds in the second.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_an_agent_is_deleted_and_registered_again(When_an_agent_is_deleted_and_registered_again.Scenario scenario)
    : IClassFixture<When_an_agent_is_deleted_and_registered_again.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public ContainerAgent Before { get; private set; } = null!;
        public HttpStatusCode Deleted { get; private set; }
        public HttpStatusCode RegisteredWhileRemoving { get; private set; }
        public string? RefusalWhileRemoving { get; private set; }
        public TurnView? TurnAsLastSeen { get; private set; }
        public ContainerInspectResponse? OldContainerAfter { get; private set; }
        public Agent RemovedRow { get; private set; } = null!;
        public bool StateMachineEnded { get; private set; }
        public HttpStatusCode DeletedAgain { get; private set; }
        public HttpStatusCode RegisteredAgain { get; private set; }
        public Agent SecondLife { get; private set; } = null!;
        public ContainerInspectResponse SecondContainer { get; private set; } = null!;
        public HttpStatusCode LateReloadOfTheFirstLife { get; private set; }
        public HttpStatusCode ReloadOfTheSecondLife { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA);
            var modelApi = await StartModelApiAsync();
            Before = await RunContainerAgentAsync("leaving", TokenA, new Dictionary<string, string?>
            {
                ["Trinity__Agent__Turns__Command"] = "/app/fake-claude",
                ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
            });
            await RegisterAgentAsync("leaving", A.Id, Before.BaseUrl, Before.ControlKey, Before.ContainerId);
            await StartObserverAsync();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__DrainTimeout"] = "00:00:20" });
            await StartContainerManagerAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__ContainerManager__ContainerNamePrefix"] = $"trinity-test-{RunId}-",
                [$"Trinity__ContainerManager__Labels__{AgentContainers.TestRunLabel}"] = RunId,
            });
            var (_, api) = await StartApiAsync();

            var turn = await Before.StartTurnAsync("last work", durationSeconds: 4);
            Deleted = (await api.DeleteAsync("/api/agents/leaving")).StatusCode;
            // The drain holds the removal for as long as the turn runs: the name is not free yet.
            using (var early = await api.PostAsJsonAsync("/api/agents", new { name = "leaving", subscriptionId = A.Id, baseUrl = Before.BaseUrl }))
                (RegisteredWhileRemoving, RefusalWhileRemoving) = (early.StatusCode, await early.Content.ReadAsStringAsync());

            await Eventually.Until(async () =>
            {
                try
                {
                    TurnAsLastSeen = await Before.TurnAsync(turn.Id);
                }
                catch (HttpRequestException)
                {
                    // the container is gone
                }
                return Observer.Received<AgentContainerRemoved>().Count == 1;
            }, "the deleted agent's container to be removed", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
            OldContainerAfter = await Containers.InspectOrNullAsync(Before.ContainerId);
            RemovedRow = await AgentAsync("leaving");
            StateMachineEnded = await SagaAsync("leaving") is null;
            DeletedAgain = (await api.DeleteAsync("/api/agents/leaving")).StatusCode;

            var secondPort = FreePort.Next();
            RegisteredAgain = (await api.PostAsJsonAsync("/api/agents", new { name = "leaving", subscriptionId = A.Id, baseUrl = $"http://127.0.0.1:{secondPort}" })).StatusCode;
            await Eventually.Until(() => Observer.Received<AgentContainerStarted>().Count == 1, "the agent registered again to start", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
            SecondLife = await AgentAsync("leaving");
            SecondContainer = await Containers.InspectAsync(SecondLife.ContainerId!);

            using var second = new AgentClient("leaving", SecondLife.BaseUrl!, Cipher.Decrypt(SecondLife.EncryptedControlKey!));
            LateReloadOfTheFirstLife = await ReloadAsync(second, RemovedRow.FencingToken - 1);
            ReloadOfTheSecondLife = await ReloadAsync(second, RemovedRow.FencingToken);
        }

        async Task<HttpStatusCode> ReloadAsync(AgentClient agent, long fence)
        {
            using var response = await agent.SendAsync(HttpMethod.Post, "/api/credentials/reload-token",
                new Dictionary<string, object> { ["token"] = TokenA, ["fencing_token"] = fence });
            return response.StatusCode;
        }
    }

    [Fact]
    public void The_delete_is_accepted_and_the_turn_in_flight_ends_on_its_own_before_the_container_goes()
    {
        Assert.Equal(HttpStatusCode.Accepted, scenario.Deleted);
        Assert.Equal(("Ended", "Completed"), (scenario.TurnAsLastSeen?.State, scenario.TurnAsLastSeen?.Ending));
        var removed = Assert.Single(scenario.Observer.Received<AgentContainerRemoved>());
        Assert.Equal((scenario.Before.ContainerId, true, 0), (removed.ContainerId, removed.Drained, removed.TurnsOutlivingDrain));
    }

    [Fact]
    public async Task No_container_of_the_agent_runs_its_token_any_more()
    {
        Assert.Null(scenario.OldContainerAfter);
        var containers = await scenario.Containers.Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
        foreach (var container in containers.Where(c => c.Labels.TryGetValue(AgentContainers.TestRunLabel, out var run) && run == scenario.RunId))
        {
            // Only the second life's container may carry the token — and it was created after the removal ended.
            var inspected = await scenario.Containers.InspectAsync(container.ID);
            if (inspected.Config.Env.Contains($"CLAUDE_CODE_OAUTH_TOKEN={scenario.TokenA}"))
                Assert.Equal(scenario.SecondContainer.ID, container.ID);
        }
        Assert.Null(scenario.RemovedRow.ContainerId);
        Assert.Null(scenario.RemovedRow.EncryptedControlKey);
    }

    [Fact]
    public async Task The_removal_is_a_rotation_in_the_history_and_the_state_machine_ended()
    {
        Assert.NotNull(scenario.RemovedRow.RemovedAt);
        Assert.True(scenario.StateMachineEnded);
        await using var db = scenario.NewDbContext();
        var removal = await db.Rotations.AsNoTracking().SingleAsync(r => r.AgentName == "leaving" && r.Trigger == SwitchTrigger.Deletion);
        Assert.Equal((SwitchMethod.Removed, RotationOutcome.Succeeded, scenario.RemovedRow.FencingToken), (removal.Method, removal.Outcome, removal.FencingToken));
    }

    [Fact]
    public void The_name_is_refused_while_the_container_is_removed_and_a_second_delete_finds_nothing()
    {
        Assert.Equal(HttpStatusCode.Conflict, scenario.RegisteredWhileRemoving);
        Assert.Contains("still being removed", scenario.RefusalWhileRemoving);
        Assert.Equal(HttpStatusCode.NotFound, scenario.DeletedAgain);
    }

    [Fact]
    public async Task Registered_again_the_agent_keeps_its_fence_and_refuses_a_reload_of_its_first_life()
    {
        Assert.Equal(HttpStatusCode.Created, scenario.RegisteredAgain);
        Assert.True(scenario.RemovedRow.FencingToken > 0);
        Assert.Equal(scenario.RemovedRow.FencingToken, scenario.SecondLife.FencingToken);
        Assert.Contains($"TRINITY_AGENT_FENCE={scenario.RemovedRow.FencingToken}", scenario.SecondContainer.Config.Env);
        Assert.True(scenario.SecondContainer.State.Running);
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.OK), (scenario.LateReloadOfTheFirstLife, scenario.ReloadOfTheSecondLife));
        Assert.NotNull(await scenario.SagaAsync("leaving"));
    }
}
