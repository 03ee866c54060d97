using System.Net.Http.Json;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Cluster;

/// <summary>
/// Two hundred agents share one subscription, spread over two Docker hosts on a RabbitMQ cluster of three nodes with
/// two replicas of the Orchestrator and of the worker: on north (this machine's engine, 127.0.0.1) two agent
/// containers and a fleet-mode agent server of 98 agents; on south (a second engine of the test's own, 127.0.0.2)
/// the same. An operator gives the subscription a new key through the API; the rollover must reach every agent on
/// both hosts exactly once, by hot-reload, every container left running as it was.
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
        public List<Rotation> Rotations { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await UseOwnClusterAsync();
            await base.InitializeAsync();
            var oldToken = Canary.NewToken();
            var shared = await AddSubscriptionAsync("shared", oldToken);
            var south = await StartDockerEngineAsync();
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
            var (_, api) = await StartApiAsync(OnBothHosts);

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
    public void The_agents_are_spread_over_both_hosts_in_containers_and_fleet_servers()
    {
        Assert.Equal(Scenario.Agents, scenario.Fleet.Count + scenario.InContainers.Count);
        foreach (var (host, address) in new[] { ("north", "http://127.0.0.1:"), ("south", "http://127.0.0.2:") })
        {
            Assert.All(scenario.Fleet.Where(f => f.Host == host), f => Assert.StartsWith(address, f.Agent.BaseUrl, StringComparison.Ordinal));
            Assert.Equal(2, scenario.InContainers.Count(c => c.Host == host && c.Agent.BaseUrl.StartsWith(address, StringComparison.Ordinal)));
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
