using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The fault matrix of a recreate: an agent of the image from before hot-reload, so every switch is a drained
/// recreate, and the container manager killed with SIGKILL at each step — mid-drain (a turn holds the drain), after
/// the drain, after the stop, after the remove, after the create, and after the start before the agent is healthy.
/// A last cell restarts the class's own Redis empty while the manager drains under its lease. Each cell proves the
/// fault hit its step, clears it, waits for quiet and runs the invariant checker: the agent ends with exactly one
/// running container, on the token the database assigns it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_the_container_manager_is_killed_at_each_recreate_step(When_the_container_manager_is_killed_at_each_recreate_step.Scenario scenario)
    : IClassFixture<When_the_container_manager_is_killed_at_each_recreate_step.Scenario>
{
    public static readonly string[] Steps = ["drained", "stopped", "removed", "created", "started"];

    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "mortal";
        readonly List<string> _tokens = [];
        readonly List<Subscription> _subscriptions = [];
        ServiceProcess _manager = null!;
        RedisProcess _redis = null!;
        int _cells;

        public List<FaultCell> Cells { get; } = [];
        /// <summary>Per cell, how many containers the run has once quiet, if the agent's is running (0 if it is not).</summary>
        public Dictionary<string, int> ContainersAfter { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            // One subscription per cell and one more: a rate-limited one cools down, so every switch has somewhere to go.
            for (var i = 0; i < Steps.Length + 3; i++)
            {
                _tokens.Add(Canary.NewToken());
                _subscriptions.Add(await AddSubscriptionAsync($"subscription-{i}", _tokens[i]));
            }
            var modelApi = await StartModelApiAsync(requestsPerWindow: 100_000);
            var agent = await RunContainerAgentAsync(Agent, _tokens[0], new Dictionary<string, string?>
            {
                ["Trinity__Agent__Turns__Command"] = "/app/fake-claude",
                ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
            }, AgentContainers.LegacyImage);
            await RegisterAgentAsync(Agent, _subscriptions[0].Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
            await StartObserverAsync();
            // The leases live in a Redis of this class's own, so one cell can restart it empty.
            _redis = Own(await RedisProcess.StartAsync(LogDirectory));
            await StartOrchestratorAsync(extra: _redis.For(new() { ["Trinity__Orchestrator__RetryBackoff"] = "00:00:02" }));
            await StartRotationWorkerAsync(extra: _redis.For(new() { ["Trinity__RotationWorker__DrainTimeout"] = "00:00:20" }));
            _manager = await StartContainerManagerAsync(extra: _redis.For([]));

            await KillMidDrainAsync(agent);
            foreach (var step in Steps)
                await CrashAfterAsync(step);
            await RestartRedisEmptyMidDrainAsync(agent);
        }

        /// <summary>A turn holds the drain under the manager's lease; Redis restarts empty, so the lease is gone while the recreate works.</summary>
        async Task RestartRedisEmptyMidDrainAsync(ContainerAgent agent)
        {
            using var current = await PlacedClientAsync(Agent);
            await current.StartTurnAsync("holds the drain", durationSeconds: 15);
            await ReportFailureAsync();
            await WaitForTheDrainAsync();
            await _redis.StopAsync();
            await _redis.StartAsync();
            var cleared = Stopwatch.StartNew();
            await Eventually.Until(() => LostItsLease() || _manager.HasExited, "the manager to find its lease gone", TimeSpan.FromSeconds(30));
            Cells.Add(await RecoverAsync("redis@restarted-empty-mid-drain", LostItsLease(), "the manager logged its lease lost while it drained", cleared));
        }

        /// <summary>A turn of 15 s holds the drain; the manager is killed once its journal says it inspected the container and began draining.</summary>
        async Task KillMidDrainAsync(ContainerAgent agent)
        {
            var turn = await agent.StartTurnAsync("holds the drain", durationSeconds: 15);
            await ReportFailureAsync();
            await WaitForTheDrainAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));
            var turnState = (await agent.TurnAsync(turn.Id)).State;
            await _manager.KillAsync();
            RecreateStep? step;
            await using (var db = NewDbContext())
                step = await db.RecreateJournal.Where(j => j.AgentName == Agent).Select(j => (RecreateStep?)j.Step).SingleOrDefaultAsync();
            var hit = _manager.ExitCode == 137 && step == RecreateStep.Inspected && turnState != "Ended";
            await RestartAndRecoverAsync("container-manager@mid-drain", hit, $"exit {_manager.ExitCode} with the journal at {step?.ToString() ?? "nothing"} and the turn {turnState}");
        }

        bool LostItsLease() => _manager.Output.Any(line => line.Contains("was lost by rotation", StringComparison.Ordinal));

        Task WaitForTheDrainAsync() => Eventually.Until(async () =>
        {
            await using var db = NewDbContext();
            return await db.RecreateJournal.AnyAsync(j => j.AgentName == Agent && j.Step == RecreateStep.Inspected);
        }, "the manager to begin the drain", TimeSpan.FromSeconds(60));

        async Task CrashAfterAsync(string step)
        {
            await _manager.StopAsync();
            var faulty = await StartContainerManagerAsync($"container-manager-killed-{++_cells}",
                _redis.For(new() { [$"Trinity__FaultInjection__Points__recreate-{step}"] = "crash" }));
            await ReportFailureAsync();
            await faulty.WaitForExitAsync(TimeSpan.FromSeconds(90));
            var hit = faulty.ExitCode == 137 && FaultCell.Reached(faulty, $"recreate-{step}");
            await RestartAndRecoverAsync($"container-manager@{step}", hit, $"exit {faulty.ExitCode} after logging step recreate-{step}");
        }

        async Task RestartAndRecoverAsync(string cell, bool hit, string evidence)
        {
            var cleared = Stopwatch.StartNew();
            _manager = await StartContainerManagerAsync($"container-manager-{++_cells}", _redis.For([]));
            Cells.Add(await RecoverAsync(cell, hit, evidence, cleared));
        }

        async Task<FaultCell> RecoverAsync(string cell, bool hit, string evidence, Stopwatch cleared)
        {
            var result = await FaultCell.RecoverAsync(this, cell, hit, evidence, cleared,
                async () => (await RotationsAsync(Agent)).All(r => r.Outcome != RotationOutcome.InProgress) && await LiveFingerprintAsync() == await AssignedFingerprintAsync(Agent),
                () => Task.FromResult(new RunRecord { LiveCredentials = { [Agent] = LiveFingerprintAsync }, Canaries = [.. _tokens] }),
                TimeSpan.FromSeconds(120));
            ContainersAfter[cell] = (await Containers.ByNameAsync(Agent)).State.Running ? await Containers.CountAsync() : 0;
            return result;
        }

        async Task ReportFailureAsync() => await Observer.Publish(Failure(Agent, (await AgentAsync(Agent)).SubscriptionId!.Value));

        Task<string?> LiveFingerprintAsync() => PlacedLiveFingerprintAsync(Agent);
    }

    public static TheoryData<string> CellNames() =>
        new(Steps.Select(s => $"container-manager@{s}").Prepend("container-manager@mid-drain").Append("redis@restarted-empty-mid-drain"));

    [Theory]
    [MemberData(nameof(CellNames))]
    public void The_fault_hit_its_step_and_the_agent_ends_with_one_container_on_its_token(string cell)
    {
        var result = Assert.Single(scenario.Cells, c => c.Name == cell);
        Assert.True(result.HitTheStep, result.ToString());
        Assert.True(result.Violations.Count == 0, result.ToString());
        Assert.Equal(1, scenario.ContainersAfter[cell]);
    }

    [Fact]
    public async Task Every_cell_ended_in_one_succeeded_recreate()
    {
        var rotations = await scenario.RotationsAsync(Scenario.Agent);
        var succeeded = rotations.Where(r => r.Outcome == RotationOutcome.Succeeded).ToList();
        Assert.Equal(scenario.Cells.Count, succeeded.Count);
        Assert.All(succeeded, r => Assert.Equal(SwitchMethod.Recreate, r.Method));
        // Only the recreate whose lease vanished with Redis gave up, and a later one finished its job.
        Assert.Single(rotations, r => r.Outcome == RotationOutcome.Failed);
        await using var db = scenario.NewDbContext();
        Assert.Equal(0, await db.RecreateJournal.CountAsync());
    }
}
