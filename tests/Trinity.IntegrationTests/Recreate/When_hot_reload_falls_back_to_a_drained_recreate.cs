using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// Two agents run an image from before the reload endpoint (404), each with a turn in flight: <c>legacy</c>'s
/// turn ends within the drain timeout (6 s), <c>slow</c>'s does not. A failure on A rotates both: the worker
/// falls back to a recreate by itself, and the container manager drains, recreates with B's token and answers.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_hot_reload_falls_back_to_a_drained_recreate(When_hot_reload_falls_back_to_a_drained_recreate.Scenario scenario)
    : IClassFixture<When_hot_reload_falls_back_to_a_drained_recreate.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string StaleApiKey = "sk-ant-api03-stale-platform-key-0123456789";
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public Dictionary<string, ContainerAgent> Before { get; } = [];
        public Dictionary<string, Docker.DotNet.Models.ContainerInspectResponse> After { get; } = [];
        public TurnView? LastSeenLegacyTurn { get; private set; }
        public LiveCredential? LiveAfter { get; private set; }
        public ContainerFile? WorkspaceFileAfter { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            var modelApi = await StartModelApiAsync();
            foreach (var name in new[] { "legacy", "slow" })
            {
                var agent = await RunContainerAgentAsync(name, TokenA, new Dictionary<string, string?>
                {
                    ["ANTHROPIC_API_KEY"] = StaleApiKey,
                    ["Trinity__Agent__Turns__Command"] = "/app/fake-claude",
                    ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
                }, AgentContainers.LegacyImage);
                await RegisterAgentAsync(name, A.Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
                Before[name] = agent;
            }
            await Containers.PutFileAsync(Before["legacy"].ContainerId, "/home/developer", "notes.txt", "work in progress");
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync(extra: new Dictionary<string, string?> { ["Trinity__RotationWorker__DrainTimeout"] = "00:00:06" });
            await StartContainerManagerAsync();

            var legacyTurn = await Before["legacy"].StartTurnAsync("short work", durationSeconds: 4);
            await Before["slow"].StartTurnAsync("long work", durationSeconds: 60);
            await Observer.Publish(Failure("legacy", A.Id));
            await Observer.Publish(Failure("slow", A.Id));

            // Watch the short turn through the old container for as long as it answers.
            await Eventually.Until(async () =>
            {
                try
                {
                    LastSeenLegacyTurn = await Before["legacy"].TurnAsync(legacyTurn.Id);
                }
                catch (HttpRequestException)
                {
                    // the old container is gone
                }
                return Observer.Received<AgentSubscriptionSwitched>().Count == 2;
            }, "both agents to be switched by recreate", TimeSpan.FromSeconds(90));
            await WaitUntilQuietAsync();

            foreach (var name in Before.Keys)
                After[name] = await Containers.ByNameAsync(name);
            using var newClient = await PlacedClientAsync("legacy");
            LiveAfter = await newClient.LiveCredentialAsync();
            WorkspaceFileAfter = await Containers.ReadFileAsync(After["legacy"].ID, "/home/developer/notes.txt");
        }
    }

    [Fact]
    public void The_worker_fell_back_by_itself_because_the_endpoint_is_missing()
    {
        Assert.Equal(2, scenario.Observer.Received<TokenReloadFellBack>().Count(f => f.Reason == FallbackReason.EndpointMissing));
        Assert.All(scenario.Observer.Received<AgentSubscriptionSwitched>(), s => Assert.Equal((SwitchMethod.Recreate, scenario.B.Id), (s.Method, s.To)));
    }

    [Fact]
    public async Task A_turn_that_ends_within_the_drain_timeout_completes_normally()
    {
        Assert.Equal("Completed", scenario.LastSeenLegacyTurn?.Ending);
        var rotation = Assert.Single(await scenario.RotationsAsync("legacy"));
        Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
        Assert.Contains("0 turns outlived the drain", rotation.OutcomeDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_turn_that_outlives_the_drain_timeout_is_reported_in_the_rotation_outcome()
    {
        var rotation = Assert.Single(await scenario.RotationsAsync("slow"));
        Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
        Assert.Contains("1 turns outlived the drain", rotation.OutcomeDetail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_new_container_keeps_name_labels_image_network_and_the_workspace()
    {
        var (before, after) = (scenario.Before["legacy"], scenario.After["legacy"]);
        Assert.NotEqual(before.ContainerId, after.ID);
        Assert.Equal($"trinity-test-{scenario.RunId}-legacy", after.Name.TrimStart('/'));
        Assert.Equal("legacy", after.Config.Labels["trinity.agent"]);
        Assert.Equal((AgentContainers.LegacyImage, "host"), (after.Config.Image, after.HostConfig.NetworkMode));
        Assert.True(after.State.Running);
        Assert.Equal("work in progress", scenario.WorkspaceFileAfter?.Content);
    }

    [Fact]
    public async Task The_environment_is_rewritten_from_the_database_for_subscription_mode()
    {
        var env = scenario.After["legacy"].Config.Env.Select(e => e.Split('=', 2)).ToDictionary(e => e[0], e => e[1]);
        Assert.Equal(scenario.TokenB, env["CLAUDE_CODE_OAUTH_TOKEN"]);
        Assert.False(env.ContainsKey("ANTHROPIC_API_KEY"));
        Assert.NotEqual(scenario.Before["legacy"].ControlKey, env["TRINITY_AGENT_CONTROL_KEY"]);
        Assert.Equal((TokenFingerprint.Of(scenario.TokenB), "Environment"), (scenario.LiveAfter?.Fingerprint, scenario.LiveAfter?.Source));
        await using var db = scenario.NewDbContext();
        Assert.Equal(scenario.After["legacy"].ID, (await db.Agents.SingleAsync(a => a.Name == "legacy")).ContainerId);
    }
}
