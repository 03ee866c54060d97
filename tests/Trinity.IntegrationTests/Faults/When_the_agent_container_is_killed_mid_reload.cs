using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Trinity.AgentProtocol;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The fault matrix's agent-container cell: the container is killed (SIGKILL) while the reload is on its way in — a
/// proxy holds the request on the agent's connection — with a turn running in it. The reload can never be answered, the
/// agent cannot be reached, and the worker falls back to a recreate. The container manager finds the container not
/// running: it creates nothing in its place (an agent that died is its operator's to start), says so in its log, and
/// the rotation ends skipped. When the agent is started again it runs the token the database assigns; the killed turn
/// counts as the fault's, and the checker is green.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_the_agent_container_is_killed_mid_reload(When_the_agent_container_is_killed_mid_reload.Scenario scenario)
    : IClassFixture<When_the_agent_container_is_killed_mid_reload.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "doomed";
        readonly List<string> _tokens = [];

        public FaultCell Cell { get; private set; } = null!;

        /// <summary>Containers of the run once the skip was decided, before the agent was started again: the dead one alone.</summary>
        public int ContainersWhenSkipped { get; private set; }
        public ServiceProcess Manager { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            for (var i = 0; i < 2; i++)
                _tokens.Add(Canary.NewToken());
            var first = await AddSubscriptionAsync("subscription-0", _tokens[0]);
            await AddSubscriptionAsync("subscription-1", _tokens[1]);
            var modelApi = await StartModelApiAsync(requestsPerWindow: 100_000);
            var agent = await RunContainerAgentAsync(Agent, _tokens[0], new Dictionary<string, string?>
            {
                ["Trinity__Agent__Turns__Command"] = "/app/fake-claude",
                ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
            });
            var proxy = Own(FaultProxy.Start(new Uri(agent.BaseUrl).Port));
            await RegisterAgentAsync(Agent, first.Id, proxy.BaseUrl, agent.ControlKey, agent.ContainerId);
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync(extra: new Dictionary<string, string?> { ["Trinity__RotationWorker__AgentCallTimeout"] = "00:00:02" });
            Manager = await StartContainerManagerAsync();

            var turn = await agent.StartTurnAsync("dies with its container", durationSeconds: 30);
            proxy.DelayNext(AgentPaths.ReloadToken, TimeSpan.FromSeconds(3));
            await Observer.Publish(Failure(Agent, first.Id));
            await Eventually.Until(() => proxy.RequestLines.Any(l => l.Contains(AgentPaths.ReloadToken, StringComparison.Ordinal)), "the reload to reach the agent's connection");
            var turnState = (await agent.TurnAsync(turn.Id)).State;
            await Containers.KillAsync(agent.ContainerId);
            var killed = await Containers.InspectAsync(agent.ContainerId);
            // The turn was running when the container died of the fault: it is the fault's, and counted as killed by it.
            var hit = killed.State is { Running: false, ExitCode: 137 } && turnState == "Running" && !(await agent.LogsAsync()).Contains("token reloaded", StringComparison.Ordinal);
            var cleared = Stopwatch.StartNew();
            await Eventually.Until(async () => (await RotationsAsync(Agent)).All(r => r.Outcome != RotationOutcome.InProgress), "the rotation to end", TimeSpan.FromSeconds(90));
            ContainersWhenSkipped = await Containers.CountAsync();
            // Read before the start replaces the dead container with a new one.
            var killedLog = await agent.LogsAsync();
            // The operator starts the agent again, as the API's start does.
            await Observer.Publish(new StartAgentContainer { AgentName = Agent });
            Cell = await FaultCell.RecoverAsync(this, "agent-container@killed-mid-reload", hit,
                $"container exit {killed.State.ExitCode} with the reload held on its connection and the turn {turnState}", cleared,
                async () => await LiveFingerprintAsync() == await AssignedFingerprintAsync(Agent),
                () => Task.FromResult(new RunRecord
                {
                    LiveCredentials = { [Agent] = LiveFingerprintAsync },
                    Turns = [new TurnFact(turn.Id, Agent, Ending: turnState == "Running" ? "Killed" : turnState, KilledByInjectedFault: true, turn.StartedAt, EndedAt: null)],
                    Canaries = [.. _tokens],
                    Texts = [new TextFact("the killed container's log", killedLog)],
                }),
                TimeSpan.FromSeconds(120));
        }

        Task<string?> LiveFingerprintAsync() => PlacedLiveFingerprintAsync(Agent);
    }

    [Fact]
    public void The_kill_hit_the_reload_and_the_checker_is_green_once_quiet()
    {
        Assert.True(scenario.Cell.HitTheStep, scenario.Cell.ToString());
        Assert.True(scenario.Cell.Violations.Count == 0, scenario.Cell.ToString());
    }

    [Fact]
    public async Task The_dead_container_was_not_replaced_and_the_rotation_ended_skipped_and_said_so()
    {
        var rotation = Assert.Single(await scenario.RotationsAsync(Scenario.Agent));
        Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
        Assert.Equal(SwitchMethod.Skipped, rotation.Method);
        Assert.Equal(1, scenario.ContainersWhenSkipped);
        Assert.Contains(scenario.Manager.Output, l => l.Contains("is not running", StringComparison.Ordinal) && l.Contains("exit code 137", StringComparison.Ordinal));
        await using var db = scenario.NewDbContext();
        Assert.Equal(0, await db.RecreateJournal.CountAsync());
    }

    /// <summary>The token itself is the checker's: the live credential rule asked the started agent.</summary>
    [Fact]
    public async Task Started_again_the_agent_runs_in_one_container()
    {
        Assert.True((await scenario.Containers.ByNameAsync(Scenario.Agent)).State.Running);
        Assert.Equal(1, await scenario.Containers.CountAsync());
    }
}
