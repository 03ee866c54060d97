using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Adoption;

/// <summary>
/// Twenty containers of <c>trinity/agent:reference</c>, started the way the reference platform starts them (named
/// <c>agent-{name}</c>, the token of A baked in, a workspace volume, labels, an extra variable), five of them
/// hot-reloaded to B beforehand, so that their override file differs from their environment. <c>./trinity agents adopt
/// --label</c> registers all twenty, each on the subscription its live token belongs to, creating no container; a
/// rollover of both keys reaches every one by hot-reload, observed through its override file; leaving subscription
/// mode recreates one, keeping its image, volume, labels and extra variable, and no other; adopting again changes
/// nothing; a container its owner stopped is not recreated behind its back. A container whose token belongs to no
/// subscription, and one of this system's own image (it asks for a key), are refused with the reason.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_reference_containers_are_adopted(When_reference_containers_are_adopted.Scenario scenario)
    : IClassFixture<When_reference_containers_are_adopted.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const int Fleet = 20;
        public const int ReloadedBeforehand = 5;
        public const int Moved = 10;
        public const int StoppedByItsOwner = 19;
        public string TokenA { get; } = Canary.NewToken();
        public string TokenA2 { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public string TokenB2 { get; } = Canary.NewToken();
        public string FleetLabel => $"platform.fleet={RunId}";
        public string[] Names { get; } = Enumerable.Range(0, Fleet).Select(i => $"r{Guid.NewGuid():N}"[..10] + $"-{i:00}").ToArray();
        public string Stranger { get; } = $"s{Guid.NewGuid():N}"[..10];
        public string Ours { get; } = $"o{Guid.NewGuid():N}"[..10];
        public Dictionary<string, string> ContainerIds { get; } = [];
        public Dictionary<string, int> Ports { get; } = [];
        public Guid A { get; private set; }
        public Guid B { get; private set; }
        public CommandResult DryRun { get; private set; } = null!;
        public int RegisteredAfterDryRun { get; private set; }
        public CommandResult Adopted { get; private set; } = null!;
        public TimeSpan AdoptionTook { get; private set; }
        public List<Agent> AgentsAfterAdoption { get; private set; } = [];
        public Dictionary<string, JsonElement> StrangersRefused { get; private set; } = [];
        public bool StrangerRegistered { get; private set; }
        public Rotation StoppedRotation { get; private set; } = null!;
        public Dictionary<string, string> OverrideAfterRollover { get; } = [];
        public List<Rotation> RolloverRotations { get; private set; } = [];
        public ContainerInspectResponse MovedContainer { get; private set; } = null!;
        public Dictionary<string, string> IdsAfterMove { get; } = [];
        public JsonElement AdoptedAgain { get; private set; }
        public int RotationsBeforeAdoptingAgain { get; private set; }
        public int RotationsAfterAdoptingAgain { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await Task.WhenAll(Names.Select((name, i) => StartReferenceAgentAsync(name, TokenA, FleetLabel, i)));
            await StartReferenceAgentAsync(Stranger, Canary.NewToken(), $"platform.fleet={RunId}-strangers", 98);
            await StartReferenceAgentAsync(Ours, TokenA, $"platform.fleet={RunId}-strangers", 99, AgentContainers.Image);
            // As the reference platform's backend would: five switched to B by its own hot-reload, before this system came.
            using (var http = new HttpClient())
            {
                foreach (var name in Names.Take(ReloadedBeforehand))
                    (await http.PostAsJsonAsync($"http://127.0.0.1:{Ports[name]}/api/credentials/reload-token", new { token = TokenB, remove_api_key = true })).EnsureSuccessStatusCode();
            }

            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();
            await StartContainerManagerAsync();
            var (_, api) = await StartApiAsync();
            A = await api.UpsertSubscriptionAsync("subscription-a", TokenA);
            B = await api.UpsertSubscriptionAsync("subscription-b", TokenB);
            var cli = CommandRun.CliEnvironmentFor(api);

            DryRun = await CommandRun.TrinityAsync(cli, null, "agents", "adopt", "--label", FleetLabel, "--dry-run");
            RegisteredAfterDryRun = await CountAgentsAsync();
            var adopting = Stopwatch.StartNew();
            Adopted = await CommandRun.TrinityAsync(cli, null, "agents", "adopt", "--label", FleetLabel);
            AdoptionTook = adopting.Elapsed;
            await File.WriteAllTextAsync(Path.Combine(LogDirectory, "adopt.txt"), Adopted.ToString());
            await using (var db = NewDbContext())
                AgentsAfterAdoption = await db.Agents.AsNoTracking().OrderBy(a => a.Name).ToListAsync();
            using (var refused = await api.PostAsJsonAsync("/api/agents/adopt", new { label = $"platform.fleet={RunId}-strangers" }))
                StrangersRefused = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("containers").EnumerateArray().ToDictionary(c => c.GetProperty("agent").GetString()!);
            StrangerRegistered = await CountAgentsAsync() != Fleet;

            await api.UpsertSubscriptionAsync("subscription-a", TokenA2);
            await api.UpsertSubscriptionAsync("subscription-b", TokenB2);
            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count >= Fleet, "the rollover to reach every agent", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
            RolloverRotations = await RotationsAsync();
            foreach (var name in Names)
                OverrideAfterRollover[name] = (await Containers.ReadFileAsync(ContainerIds[name], "/var/lib/trinity/oauth-token")).Content;

            (await api.PutAsJsonAsync($"/api/agents/{Names[Moved]}/subscription", new { subscriptionId = (Guid?)null })).EnsureSuccessStatusCode();
            await Eventually.Until(() => Observer.Received<ContainerRecreated>().Count == 1, "the mode change to recreate its container", TimeSpan.FromSeconds(90));
            await WaitUntilQuietAsync();
            MovedContainer = await Containers.InspectAsync($"agent-{Names[Moved]}");
            foreach (var name in Names)
                IdsAfterMove[name] = (await Containers.InspectAsync($"agent-{name}")).ID;

            // Its owner stops one: leaving subscription mode would need a recreate, and its owner's start would bring the old token back.
            await Containers.StopAsync(ContainerIds[Names[StoppedByItsOwner]]);
            (await api.PutAsJsonAsync($"/api/agents/{Names[StoppedByItsOwner]}/subscription", new { subscriptionId = (Guid?)null })).EnsureSuccessStatusCode();
            await Eventually.Until(async () => (await RotationsAsync(Names[StoppedByItsOwner])).FirstOrDefault(r => r.Outcome != RotationOutcome.InProgress && r.Trigger == SwitchTrigger.Manual),
                r => r is not null, "the stopped container's rotation to end");
            StoppedRotation = (await RotationsAsync(Names[StoppedByItsOwner])).First(r => r.Trigger == SwitchTrigger.Manual);
            await WaitUntilQuietAsync();

            // The stopped one stays out of sync, tried again after its back-off: the others are what adopting again must leave alone.
            RotationsBeforeAdoptingAgain = (await RotationsAsync()).Count(r => r.AgentName != Names[StoppedByItsOwner]);
            using (var again = await api.PostAsJsonAsync("/api/agents/adopt", new { label = FleetLabel }))
                AdoptedAgain = await again.Content.ReadFromJsonAsync<JsonElement>();
            await Task.Delay(TimeSpan.FromSeconds(2));
            await WaitUntilQuietAsync();
            RotationsAfterAdoptingAgain = (await RotationsAsync()).Count(r => r.AgentName != Names[StoppedByItsOwner]);
        }

        async Task StartReferenceAgentAsync(string name, string token, string label, int index, string image = AgentContainers.ReferenceImage)
        {
            var port = FreePort.Next();
            var (key, value) = (label.Split('=')[0], label.Split('=')[1]);
            var environment = new Dictionary<string, string> { ["CLAUDE_CODE_OAUTH_TOKEN"] = token, ["TEAM_SETTING"] = $"keep-{index}" };
            if (image != AgentContainers.ReferenceImage)
                environment["TRINITY_AGENT_CONTROL_KEY"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
            var id = await Containers.RunLikeTheReferencePlatformAsync(name, port, environment, new Dictionary<string, string> { [key] = value, ["team"] = "blue" }, image);
            lock (ContainerIds)
                (ContainerIds[name], Ports[name]) = (id, port);
            using var http = new HttpClient();
            await Eventually.Until(async () =>
            {
                try
                {
                    return (await http.GetAsync($"http://127.0.0.1:{port}/health")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, $"agent-{name} to answer");
        }

        async Task<int> CountAgentsAsync()
        {
            await using var db = NewDbContext();
            return await db.Agents.CountAsync();
        }

    }

    [Fact]
    public void A_dry_run_says_what_it_would_adopt_and_changes_nothing()
    {
        Assert.True(scenario.DryRun.ExitCode == 0, scenario.DryRun.ToString());
        Assert.Contains($"Dry run, nothing changed: {Scenario.Fleet} would-adopt", scenario.DryRun.Output, StringComparison.Ordinal);
        Assert.Equal(0, scenario.RegisteredAfterDryRun);
    }

    [Fact]
    public void Adopt_by_label_registers_all_twenty_on_the_subscription_of_their_live_token_in_seconds()
    {
        Assert.True(scenario.Adopted.ExitCode == 0, scenario.Adopted.ToString());
        Assert.Matches($@"{Scenario.Fleet} adopted in \d+\.\d\d s\.", scenario.Adopted.Output);
        Assert.True(scenario.AdoptionTook < TimeSpan.FromSeconds(20), $"adoption took {scenario.AdoptionTook}");
        var agents = scenario.AgentsAfterAdoption.ToDictionary(a => a.Name);
        Assert.Equal(scenario.Names.Order(StringComparer.Ordinal), agents.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, i) in scenario.Names.Select((n, i) => (n, i)))
        {
            var agent = agents[name];
            Assert.Equal((AgentKind.Adopted, i < Scenario.ReloadedBeforehand ? scenario.B : scenario.A, false),
                (agent.Kind, agent.SubscriptionId!.Value, agent.Authenticated!.Value));
            Assert.Equal((scenario.ContainerIds[name], $"http://127.0.0.1:{scenario.Ports[name]}"), (agent.ContainerId, agent.BaseUrl));
        }
        Assert.Empty(scenario.Observer.Received<AgentContainerStarted>());
    }

    [Fact]
    public void A_token_of_no_subscription_and_an_agent_that_asks_for_a_key_are_refused_with_the_reason()
    {
        Assert.Equal(2, scenario.StrangersRefused.Count);
        Assert.All(scenario.StrangersRefused.Values, c => Assert.Equal("refused", c.GetProperty("outcome").GetString()));
        Assert.Contains("belongs to no registered subscription", scenario.StrangersRefused[scenario.Stranger].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("asks for a control key", scenario.StrangersRefused[scenario.Ours].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.False(scenario.StrangerRegistered);
    }

    [Fact]
    public void A_container_its_owner_stopped_is_not_recreated_behind_its_back()
    {
        Assert.Equal(RotationOutcome.Failed, scenario.StoppedRotation.Outcome);
        Assert.Contains("CannotRecreate: the adopted container", scenario.StoppedRotation.OutcomeDetail, StringComparison.Ordinal);
        Assert.Empty(scenario.Observer.Received<ContainerRecreateSkipped>());
    }

    [Fact]
    public void A_rollover_reaches_all_twenty_by_hot_reload_observed_through_the_override_file()
    {
        Assert.Equal(Scenario.Fleet, scenario.RolloverRotations.Count);
        Assert.All(scenario.RolloverRotations, r => Assert.Equal((RotationOutcome.Succeeded, SwitchMethod.HotReload, ReloadVerification.Observed),
            (r.Outcome, r.Method, r.Verification)));
        foreach (var (name, i) in scenario.Names.Select((n, i) => (n, i)))
            Assert.Equal(i < Scenario.ReloadedBeforehand ? scenario.TokenB2 : scenario.TokenA2, scenario.OverrideAfterRollover[name]);
    }

    [Fact]
    public void Leaving_subscription_mode_recreates_one_keeping_everything_but_its_credentials_and_no_other()
    {
        var moved = scenario.MovedContainer;
        var env = moved.Config.Env;
        Assert.Equal((AgentContainers.ReferenceImage, "blue", $"{scenario.RunId}"), (moved.Config.Image, moved.Config.Labels["team"], moved.Config.Labels["platform.fleet"]));
        Assert.Contains($"{scenario.Containers.WorkspaceVolume(scenario.Names[Scenario.Moved])}:/home/developer", moved.HostConfig.Binds);
        Assert.Contains($"TEAM_SETTING=keep-{Scenario.Moved}", env);
        Assert.Contains($"AGENT_PORT={scenario.Ports[scenario.Names[Scenario.Moved]]}", env);
        Assert.DoesNotContain(env, e => e.StartsWith("CLAUDE_CODE_OAUTH_TOKEN=", StringComparison.Ordinal));
        Assert.Single(scenario.Observer.Received<ContainerRecreated>());
        Assert.All(scenario.Names.Where((_, i) => i != Scenario.Moved), name => Assert.Equal(scenario.ContainerIds[name], scenario.IdsAfterMove[name]));
    }

    [Fact]
    public void Adopting_again_changes_nothing()
    {
        // A label finds running containers: the one its owner stopped is not among them.
        var containers = scenario.AdoptedAgain.GetProperty("containers").EnumerateArray().ToList();
        Assert.Equal(Scenario.Fleet - 1, containers.Count);
        Assert.All(containers, c => Assert.Equal("unchanged", c.GetProperty("outcome").GetString()));
        Assert.Equal(scenario.RotationsBeforeAdoptingAgain, scenario.RotationsAfterAdoptingAgain);
    }

    [Fact]
    public void No_token_reaches_a_log_of_any_service()
    {
        foreach (var token in new[] { scenario.TokenA, scenario.TokenA2, scenario.TokenB, scenario.TokenB2 })
            Assert.All(scenario.ServiceOutputs(), output => Assert.DoesNotContain(token, output, StringComparison.Ordinal));
    }
}
