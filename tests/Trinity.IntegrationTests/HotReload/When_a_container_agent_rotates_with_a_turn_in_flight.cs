using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.HotReload;

/// <summary>
/// Agent <c>alpha</c> in a real container runs a turn of several seconds against the model-API simulator on
/// subscription A (15 s: longer than any rotation under a loaded CI run); a failure report on A rotates it to B
/// through the whole system while that turn runs; a
/// second turn starts after the rotation.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_a_container_agent_rotates_with_a_turn_in_flight(When_a_container_agent_rotates_with_a_turn_in_flight.Scenario scenario)
    : IClassFixture<When_a_container_agent_rotates_with_a_turn_in_flight.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public ContainerAgent Agent { get; private set; } = null!;
        public ModelApiSimulatorProcess ModelApi { get; private set; } = null!;
        public string ContainerBefore { get; private set; } = "";
        public DateTimeOffset RotatedAt { get; private set; }
        public TurnView TurnBefore { get; private set; } = null!;
        public TurnView TurnAfter { get; private set; } = null!;
        public IReadOnlyList<SimulatedRequest> Requests { get; private set; } = [];
        public string ContainerLogs { get; private set; } = "";
        public IReadOnlyList<string> CommandLines { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            ModelApi = await StartModelApiAsync();
            Agent = await RunContainerAgentAsync("alpha", TokenA, new Dictionary<string, string?>
            {
                ["Trinity__Agent__Turns__Command"] = "/app/fake-claude",
                ["TRINITY_MODEL_API_URL"] = ModelApi.BaseUrl,
                ["TRINITY_FAKE_CLI_INTERVAL_MS"] = "200",
            });
            await RegisterAgentAsync("alpha", A.Id, Agent.BaseUrl, Agent.ControlKey);
            ContainerBefore = Agent.ContainerId;
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();

            var before = await Agent.StartTurnAsync("a long task", durationSeconds: 15);
            await Eventually.Until(async () => (await ModelApi.RequestsAsync()).Any(r => r.Fingerprint == TokenFingerprint.Of(TokenA)), "the first turn to be talking to the model API");

            await Observer.Publish(new ReportSubscriptionFailure
            {
                FailureId = Guid.NewGuid(),
                AgentName = "alpha",
                SubscriptionId = A.Id,
                Kind = FailureKind.RateLimited,
                Source = FailureSource.Chat,
                StatusCode = 429,
                OccurredAt = DateTimeOffset.UtcNow,
            });
            await Eventually.Until(Agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), "the agent to run B");
            RotatedAt = DateTimeOffset.UtcNow;
            var after = await Agent.StartTurnAsync("the next task", durationSeconds: 1);

            TurnBefore = await Agent.WaitForTurnToEndAsync(before.Id);
            TurnAfter = await Agent.WaitForTurnToEndAsync(after.Id);
            Requests = await ModelApi.RequestsAsync();
            ContainerLogs = await Agent.LogsAsync();
            CommandLines = LeakScan.ProcessCommandLines();
        }
    }

    [Fact]
    public void The_turn_in_flight_finishes_successfully_on_the_old_token_even_after_the_rotation()
    {
        Assert.Equal(("Completed", TokenFingerprint.Of(scenario.TokenA)), (scenario.TurnBefore.Ending, scenario.TurnBefore.Fingerprint));
        // The turn kept talking on A after the agent had switched to B: hot-reload did not touch it.
        Assert.Contains(scenario.Requests, r => r.Fingerprint == TokenFingerprint.Of(scenario.TokenA) && r.At > scenario.RotatedAt);
        Assert.True(scenario.TurnBefore.EndedAt > scenario.RotatedAt);
    }

    [Fact]
    public void The_turn_started_after_the_rotation_carries_the_new_token()
    {
        Assert.Equal(("Completed", TokenFingerprint.Of(scenario.TokenB)), (scenario.TurnAfter.Ending, scenario.TurnAfter.Fingerprint));
        Assert.Contains(scenario.Requests, r => r.Fingerprint == TokenFingerprint.Of(scenario.TokenB));
    }

    [Fact]
    public async Task The_container_is_the_same_one()
    {
        Assert.Equal(scenario.ContainerBefore, scenario.Agent.ContainerId);
        var inspected = await scenario.Containers.Docker.Containers.InspectContainerAsync(scenario.ContainerBefore);
        Assert.True(inspected.State.Running);
        Assert.Equal(0, inspected.RestartCount);
    }

    [Fact]
    public void Exactly_one_switch_was_made_by_hot_reload()
    {
        var switched = Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        Assert.Equal((scenario.A.Id, scenario.B.Id, SwitchMethod.HotReload), (switched.From, switched.To, switched.Method));
    }

    [Fact]
    public void No_token_appears_in_a_container_log_line_an_http_response_or_a_process_command_line()
    {
        string[] tokens = [scenario.TokenA, scenario.TokenB];
        LeakScan.AssertAbsent(tokens, [scenario.ContainerLogs], "the container's logs", atLeastCharacters: 1000);
        LeakScan.AssertAbsent(tokens, scenario.Agent.ResponsesSeen, "the agent's HTTP responses", atLeastCharacters: 500);
        LeakScan.AssertAbsent(tokens, scenario.CommandLines, "process command lines", atLeastCharacters: 1000);
        LeakScan.AssertAbsent(tokens, scenario.ServiceOutputs(), "the services' logs", atLeastCharacters: 2000);
    }
}
