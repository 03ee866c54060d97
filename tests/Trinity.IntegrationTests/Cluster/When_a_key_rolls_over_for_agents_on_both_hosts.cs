using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Cluster;

/// <summary>
/// Two hundred agents share one subscription, spread over two Docker hosts on a RabbitMQ cluster of three nodes with
/// two replicas of the Orchestrator and of the worker: on north (this machine's engine, 127.0.0.1) two agent
/// containers and a fleet-mode agent server of 98 agents; on south (a second engine of the test's own, 127.0.0.2)
/// the same, and a container manager per host on its engine. An operator gives the subscription a new key through
/// the API; the rollover must reach every agent on both hosts exactly once, by hot-reload, every container left
/// running as it was (a reload that failed would have had its host's manager recreate it).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class When_a_key_rolls_over_for_agents_on_both_hosts(When_a_key_rolls_over_for_agents_on_both_hosts.Scenario scenario)
    : IClassFixture<When_a_key_rolls_over_for_agents_on_both_hosts.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const int Agents = 200;
        const int ContainersPerHost = 2;
        static readonly Dictionary<string, string?> OnBothHosts = new() { ["Trinity__DockerHosts"] = "north=127.0.0.1,south=127.0.0.2" };

        public string NewToken { get; } = Canary.NewToken();
        public List<(string Host, AgentClient Agent)> Fleet { get; } = [];
        public List<(string Host, ContainerAgent Agent, AgentContainers Engine)> InContainers { get; } = [];
        public Dictionary<string, string?> LiveAfterwards { get; } = [];
        public Dictionary<string, string?> HostsInTheApi { get; } = [];
        public DockerEngine South { get; private set; } = null!;
        public List<Rotation> Rotations { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await UseOwnClusterAsync();
            await base.InitializeAsync();
            var oldToken = Canary.NewToken();
            var shared = await AddSubscriptionAsync("shared", oldToken);
            var south = South = await StartDockerEngineAsync();
            var fleetPerHost = Agents / 2 - ContainersPerHost;
            foreach (var (host, address, engine) in new[] { ("north", "127.0.0.1", Containers), ("south", "127.0.0.2", south.Containers) })
            {
                for (var i = 0; i < ContainersPerHost; i++)
                {
                    var agent = await RunContainerAgentAsync($"{host}-container-{i}", oldToken, address: address, on: engine);
                    await RegisterAgentAsync(agent.AgentName, shared.Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId, host);
                    InContainers.Add((host, agent, engine));
                }
                var fleet = await StartFleetAsync(Enumerable.Range(0, fleetPerHost).Select(i => ($"{host}-{i:000}", (string?)oldToken)), address: address);
                foreach (var agent in fleet.Agents)
                {
                    await RegisterAgentAsync(agent.AgentName, shared.Id, agent.BaseUrl, agent.ControlKey, dockerHost: host);
                    Fleet.Add((host, agent));
                }
            }
            await StartOrchestratorAsync("orchestrator-1", OnBothHosts);
            await StartOrchestratorAsync("orchestrator-2", OnBothHosts);
            await StartRotationWorkerAsync("rotation-worker-1", OnBothHosts);
            await StartRotationWorkerAsync("rotation-worker-2", OnBothHosts);
            foreach (var (host, endpoint) in new[] { ("north", AgentContainers.LocalEngine), ("south", south.Endpoint) })
                await StartContainerManagerAsync($"container-manager-{host}", new Dictionary<string, string?>(OnBothHosts)
                {
                    ["Trinity__ContainerManager__Host"] = host,
                    ["Trinity__ContainerManager__DockerEndpoint"] = endpoint,
                    ["Trinity__ContainerManager__ContainerNamePrefix"] = $"trinity-test-{RunId}-",
                    [$"Trinity__ContainerManager__Labels__{AgentContainers.TestRunLabel}"] = RunId,
                });
            var (_, api) = await StartApiAsync(OnBothHosts);
            foreach (var agent in (await api.GetFromJsonAsync<JsonElement>("/api/agents")).EnumerateArray())
                HostsInTheApi[agent.GetProperty("name").GetString()!] = agent.GetProperty("host").GetString();

            (await api.PostAsJsonAsync("/api/subscriptions", new { name = "shared", token = NewToken })).EnsureSuccessStatusCode();
            await Eventually.Until(async () => (await RotationsAsync()).Count(r => r.Outcome != RotationOutcome.InProgress), n => n >= Agents,
                "the rollover to end for every agent", TimeSpan.FromSeconds(180));
            await WaitUntilQuietAsync();
            Rotations = await RotationsAsync();
            foreach (var agent in Fleet.Select(f => f.Agent).Concat(InContainers.Select(c => c.Agent)))
                LiveAfterwards[agent.AgentName] = (await agent.LiveCredentialAsync()).Fingerprint;
        }
    }

    [Fact]
    public async Task The_api_places_each_agent_on_its_host_and_each_container_runs_on_its_hosts_engine_only()
    {
        var expected = scenario.Fleet.Select(f => (f.Agent.AgentName, f.Host)).Concat(scenario.InContainers.Select(c => (c.Agent.AgentName, c.Host)));
        Assert.Equal(expected.ToDictionary(e => e.AgentName, e => (string?)e.Host), scenario.HostsInTheApi);
        Assert.Equal((Scenario.Agents / 2, Scenario.Agents / 2), (scenario.HostsInTheApi.Count(h => h.Value == "north"), scenario.HostsInTheApi.Count(h => h.Value == "south")));
        foreach (var (host, agent, _) in scenario.InContainers)
        {
            var other = host == "north" ? scenario.South.Containers : scenario.Containers;
            Assert.Null(await other.FindByNameAsync(agent.AgentName));
        }
    }

    [Fact]
    public void The_rollover_reaches_every_agent_on_both_hosts_once_by_hot_reload()
    {
        Assert.Equal(Scenario.Agents, scenario.Rotations.Count);
        Assert.Equal(Scenario.Agents, scenario.Rotations.Select(r => r.AgentName).Distinct().Count());
        Assert.All(scenario.Rotations, r => Assert.Equal((SwitchTrigger.Rollover, RotationOutcome.Succeeded, SwitchMethod.HotReload), (r.Trigger, r.Outcome, r.Method)));
        var expected = TokenFingerprint.Of(scenario.NewToken);
        Assert.All(scenario.LiveAfterwards, live => Assert.True(live.Value == expected, $"{live.Key} runs {live.Value}, not the new key {expected}"));
    }

    [Fact]
    public async Task Every_container_on_both_engines_kept_running_as_it_was()
    {
        foreach (var (_, agent, engine) in scenario.InContainers)
        {
            var container = await engine.ByNameAsync(agent.AgentName);
            Assert.Equal((agent.ContainerId, true), (container.ID, container.State.Running));
        }
    }
}
