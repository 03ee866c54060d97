using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Cluster;

/// <summary>
/// On a RabbitMQ cluster of three nodes, two Docker hosts, north and south, each with its own container manager behind
/// its own queues and its own engine: north is this machine's engine, south a second engine of the test's own whose
/// agents bind 127.0.0.2. Both agents need a recreate — they move to the platform API key — while south's manager is
/// down: north's agent is recreated by north's manager, south's command waits in south's queue, its agent shown
/// recreating in the API, until south's manager starts and carries it out on south's engine. A recreate of south's
/// agent sent to north's queue is refused there, and nothing of south's is touched. Then an operator moves a third
/// agent from north to south with <c>./trinity agents move</c>: drained and removed by north's manager, its volume
/// left on north's engine, started by south's on south's engine at south's address, with its subscription's token.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class When_each_docker_host_has_its_own_manager(When_each_docker_host_has_its_own_manager.Scenario scenario)
    : IClassFixture<When_each_docker_host_has_its_own_manager.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string PlatformKey = "sk-ant-api03-platform-key-for-host-tests-0123456789";
        public static readonly Dictionary<string, string?> Hosts = new() { ["Trinity__DockerHosts"] = "north=127.0.0.1,south=127.0.0.2" };

        public DockerEngine SouthEngine { get; private set; } = null!;
        public ContainerAgent North { get; private set; } = null!;
        public ContainerAgent South { get; private set; } = null!;
        public JsonElement SouthWhileItsManagerIsDown { get; private set; }
        public QueueCounts SouthQueueWhileItsManagerIsDown { get; private set; } = null!;
        public string SouthContainerWhileItsManagerIsDown { get; private set; } = "";
        public TokenRotationFailed Misrouted { get; private set; } = null!;
        public string SouthContainerAfterTheMisroutedCommand { get; private set; } = "";
        public string Token { get; private set; } = "";
        public ContainerAgent Mover { get; private set; } = null!;
        public JsonElement MoveAnswer { get; private set; }
        public AgentContainerMoved Moved { get; private set; } = null!;
        public JsonElement MoverAfterwards { get; private set; }
        public string? MoverFingerprintAfterwards { get; private set; }
        public CommandResult Listed { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await UseOwnClusterAsync();
            await base.InitializeAsync();
            var token = Token = Canary.NewToken();
            var a = await AddSubscriptionAsync("subscription-a", token);
            SouthEngine = await StartDockerEngineAsync();
            North = await RunContainerAgentAsync("north-agent", token);
            South = await RunContainerAgentAsync("south-agent", token, address: "127.0.0.2", on: SouthEngine.Containers);
            Mover = await RunContainerAgentAsync("mover", token);
            await RegisterAgentAsync(Mover.AgentName, a.Id, Mover.BaseUrl, Mover.ControlKey, Mover.ContainerId);
            await using (var db = NewDbContext())
                await db.Agents.Where(x => x.Name == Mover.AgentName).ExecuteUpdateAsync(x => x.SetProperty(p => p.DockerHost, "north"));
            foreach (var (agent, host) in new[] { (North, "north"), (South, "south") })
            {
                await RegisterAgentAsync(agent.AgentName, a.Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
                await using var db = NewDbContext();
                await db.Agents.Where(x => x.Name == agent.AgentName).ExecuteUpdateAsync(x => x.SetProperty(p => p.UseApiKey, true).SetProperty(p => p.DockerHost, host));
            }
            await StartObserverAsync();
            await StartOrchestratorAsync(extra: Hosts);
            var (_, api) = await StartApiAsync(Hosts);
            await StartManagerOfAsync("north");

            // A command for south's agent on north's queue (a misrouting producer, say): refused before anything is touched.
            var north = await Observer.Bus.GetSendEndpoint(EntityNames.QueueAddress(EntityNames.Queues.ContainerManagerOf("north")));
            var stray = Guid.NewGuid();
            await north.Send(new RecreateContainer { RotationId = stray, AgentName = "south-agent", Reason = "misrouted", DrainTimeout = TimeSpan.FromSeconds(1), FencingToken = 0 });
            await Eventually.Until(() => Observer.Received<TokenRotationFailed>().Any(f => f.RotationId == stray), "north's manager to answer the misrouted command");
            Misrouted = Observer.Received<TokenRotationFailed>().Single(f => f.RotationId == stray);
            SouthContainerAfterTheMisroutedCommand = (await SouthEngine.Containers.ByNameAsync("south-agent")).ID;

            foreach (var agent in new[] { "north-agent", "south-agent" })
                await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = agent, SubscriptionId = null, RequestedBy = "operator" });
            await Eventually.Until(() => Observer.Received<ContainerRecreated>().Any(r => r.AgentName == "north-agent"), "north's recreate", TimeSpan.FromSeconds(60));
            var southQueue = EntityNames.Queues.ContainerManagerOf("south");
            await Eventually.Until(async () => (await QueuesAsync()).Any(q => q.Name == southQueue && q.Ready == 1), "south's recreate to wait in its queue");
            SouthQueueWhileItsManagerIsDown = (await QueuesAsync()).Single(q => q.Name == southQueue);
            SouthWhileItsManagerIsDown = await api.GetFromJsonAsync<JsonElement>("/api/agents/south-agent");
            SouthContainerWhileItsManagerIsDown = (await SouthEngine.Containers.ByNameAsync("south-agent")).ID;

            await StartManagerOfAsync("south");
            await Eventually.Until(() => Observer.Received<ContainerRecreated>().Any(r => r.AgentName == "south-agent"), "south's recreate", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();

            var cli = CommandRun.CliEnvironmentFor(api);
            var moving = await CommandRun.TrinityAsync(cli, null, "agents", "move", "mover", "--host", "south", "--json");
            Assert.True(moving.ExitCode == 0, moving.ToString());
            MoveAnswer = JsonDocument.Parse(moving.Output).RootElement;
            await Eventually.Until(() => Observer.Received<AgentContainerStarted>().Any(r => r.AgentName == "mover"), "the mover to start on south", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
            Moved = Observer.Received<AgentContainerMoved>().Single();
            MoverAfterwards = await api.GetFromJsonAsync<JsonElement>("/api/agents/mover");
            MoverFingerprintAfterwards = await PlacedLiveFingerprintAsync("mover");
            Listed = await CommandRun.TrinityAsync(cli, null, "agents", "list", "--json");
        }

        Task<ServiceProcess> StartManagerOfAsync(string host) => StartContainerManagerAsync($"container-manager-{host}", new Dictionary<string, string?>(Hosts)
        {
            ["Trinity__ContainerManager__Host"] = host,
            ["Trinity__ContainerManager__DockerEndpoint"] = host == "south" ? SouthEngine.Endpoint : AgentContainers.LocalEngine,
            ["Trinity__ContainerManager__PlatformApiKey"] = PlatformKey,
            ["Trinity__ContainerManager__ContainerNamePrefix"] = $"trinity-test-{RunId}-",
            [$"Trinity__ContainerManager__Labels__{AgentContainers.TestRunLabel}"] = RunId,
        });
    }

    [Fact]
    public void One_hosts_recreates_go_on_while_another_hosts_manager_is_down_and_wait_for_it_in_its_queue()
    {
        Assert.True(scenario.Observer.Received<ContainerRecreated>().First(r => r.AgentName == "north-agent").NewContainerId is { Length: > 0 });
        Assert.Equal((1, 0), (scenario.SouthQueueWhileItsManagerIsDown.Ready, scenario.SouthQueueWhileItsManagerIsDown.Consumers));
        Assert.Equal(("Recreating", "south"), (scenario.SouthWhileItsManagerIsDown.GetProperty("state").GetString(), scenario.SouthWhileItsManagerIsDown.GetProperty("host").GetString()));
        Assert.Equal(scenario.South.ContainerId, scenario.SouthContainerWhileItsManagerIsDown);
    }

    [Fact]
    public async Task Each_agents_container_is_recreated_by_its_own_hosts_manager_on_its_own_address()
    {
        foreach (var (agent, host, engine) in new[] { (scenario.North, "north", scenario.Containers), (scenario.South, "south", scenario.SouthEngine.Containers) })
        {
            var recreated = scenario.Observer.Received<ContainerRecreated>().Single(r => r.AgentName == agent.AgentName);
            var container = await engine.ByNameAsync(agent.AgentName);
            Assert.Equal((recreated.NewContainerId, host), (container.ID, container.Config.Labels["trinity.docker-host"]));
            Assert.Contains($"ANTHROPIC_API_KEY={Scenario.PlatformKey}", container.Config.Env);
            Assert.True(await agent.IsHealthyAsync(), $"{agent.AgentName} answers at {agent.BaseUrl} after its recreate");
        }
        Assert.StartsWith("http://127.0.0.2:", scenario.South.BaseUrl, StringComparison.Ordinal);
        Assert.Null(await scenario.Containers.FindByNameAsync("south-agent"));
    }

    [Fact]
    public void The_agent_list_shows_each_agents_host()
    {
        Assert.True(scenario.Listed.ExitCode == 0, scenario.Listed.ToString());
        var hosts = JsonDocument.Parse(scenario.Listed.Output).RootElement.EnumerateArray()
            .ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("host").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["mover"] = "south", ["north-agent"] = "north", ["south-agent"] = "south" }, hosts);
    }

    [Fact]
    public void A_recreate_sent_to_another_hosts_manager_is_refused_and_touches_nothing()
    {
        Assert.Equal(RotationFailureReason.NoPlacement, scenario.Misrouted.Reason);
        Assert.Contains("placed on Docker host south; this manager serves north", scenario.Misrouted.Detail, StringComparison.Ordinal);
        Assert.Equal(scenario.South.ContainerId, scenario.SouthContainerAfterTheMisroutedCommand);
    }

    [Fact]
    public async Task An_agent_moved_to_another_host_is_drained_leaves_its_volume_and_runs_there_with_its_token()
    {
        Assert.Equal(("north", "south"), (scenario.MoveAnswer.GetProperty("from").GetString(), scenario.MoveAnswer.GetProperty("to").GetString()));
        Assert.Contains("stays on Docker host north", scenario.MoveAnswer.GetProperty("workspace").GetString(), StringComparison.Ordinal);
        var port = new Uri(scenario.Mover.BaseUrl).Port;
        Assert.Equal((scenario.Mover.ContainerId, true, 0, $"http://127.0.0.2:{port}"),
            (scenario.Moved.OldContainerId, scenario.Moved.Drained, scenario.Moved.TurnsOutlivingDrain, scenario.Moved.BaseUrl));
        Assert.Equal(scenario.Containers.WorkspaceVolume("mover"), scenario.Moved.WorkspaceVolumeLeftBehind);

        Assert.Equal(("south", $"http://127.0.0.2:{port}"), (scenario.MoverAfterwards.GetProperty("host").GetString(), scenario.MoverAfterwards.GetProperty("baseUrl").GetString()));
        Assert.Null(await scenario.Containers.FindByNameAsync("mover"));
        Assert.True(await scenario.Containers.VolumeExistsAsync(scenario.Moved.WorkspaceVolumeLeftBehind!), "the workspace stays on north's engine");
        var container = await scenario.SouthEngine.Containers.ByNameAsync("mover");
        Assert.NotEqual(scenario.Mover.ContainerId, container.ID);
        Assert.Equal("south", container.Config.Labels["trinity.docker-host"]);
        Assert.Equal(TokenFingerprint.Of(scenario.Token), scenario.MoverFingerprintAfterwards);
    }
}
