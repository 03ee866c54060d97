using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Trinity.AgentProtocol;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The fault matrix of a hot-reload, one cell at a time on one system: each service is killed with SIGKILL at a
/// named step of a rotation — decided, <c>ReloadToken</c> in flight, the reload inside the agent, the answer in
/// flight — or, for the API, right after it committed a reassignment. Each cell proves the fault hit its step,
/// brings the service back, waits for quiet and runs the invariant checker, with a turn in flight throughout.
/// </summary>
public sealed class When_a_service_is_killed_mid_rotation(When_a_service_is_killed_mid_rotation.Scenario scenario)
    : IClassFixture<When_a_service_is_killed_mid_rotation.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        readonly List<string> _tokens = [];
        readonly List<Subscription> _subscriptions = [];
        readonly List<TurnFact> _turns = [];
        readonly Dictionary<string, ServiceProcess> _running = [];
        AgentServerProcess _agent = null!;
        FaultProxy _proxy = null!;
        HttpClient _api = null!;
        int _cells;

        public List<FaultCell> Cells { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            // One subscription per cell and one more: a rate-limited one cools down, so every switch has somewhere to go.
            for (var i = 0; i < 8; i++)
            {
                _tokens.Add(Canary.NewToken());
                _subscriptions.Add(await AddSubscriptionAsync($"subscription-{i}", _tokens[i]));
            }
            var modelApi = await StartModelApiAsync(requestsPerWindow: 100_000);
            _agent = await StartAgentServerAsync(Agent, _tokens[0], _subscriptions[0].Id, new Dictionary<string, string?>
            {
                ["Trinity__Agent__Turns__Command"] = RepositoryPaths.FakeClaudeCli,
                ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
            });
            _proxy = Own(FaultProxy.Start(new Uri(_agent.BaseUrl).Port));
            await using (var db = NewDbContext())
                await db.Agents.Where(a => a.Name == Agent).ExecuteUpdateAsync(a => a.SetProperty(x => x.BaseUrl, _proxy.BaseUrl));
            await StartObserverAsync();
            (_running["api"], _api) = await StartApiAsync();
            _running["orchestrator"] = await StartOrchestratorAsync();
            _running["rotation-worker"] = await StartRotationWorkerAsync();

            await CrashAtAsync("orchestrator@decided", "orchestrator", "saga-committed", ReportFailureAsync);
            await CrashAtAsync("rotation-worker@reload-token-in-flight", "rotation-worker", "reload-received", ReportFailureAsync);
            await CrashAtAsync("rotation-worker@answer-in-flight", "rotation-worker", "reload-answered", ReportFailureAsync);
            await KillWhileTheAgentHoldsTheReloadAsync();
            await KillTheOrchestratorWhileTheWorkerReloadsAsync();
            await CrashAtAsync("api@reassignment-committed", "api", "reassignment-committed", ReassignThroughTheApiAsync);
        }

        /// <summary>The service is started again with <paramref name="step"/> set to crash, the rotation is triggered, it dies there, and a clean one takes over.</summary>
        async Task CrashAtAsync(string cell, string service, string step, Func<Task> trigger)
        {
            var turn = await StartTurnAsync();
            await _running[service].StopAsync();
            var faulty = await StartServiceAsync(service, $"{service}-killed-{++_cells}", new() { [$"Trinity__FaultInjection__Points__{step}"] = "crash" });
            await trigger();
            await faulty.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var hit = faulty.ExitCode == 137 && FaultCell.Reached(faulty, step);
            var cleared = Stopwatch.StartNew();
            _running[service] = await StartServiceAsync(service, $"{service}-{_cells}", []);
            Cells.Add(await RecoverAsync(cell, hit, $"exit {faulty.ExitCode} after logging step {step}", cleared, turn));
        }

        /// <summary>The proxy holds the reload inside the agent's connection; the worker is killed while it waits for the answer.</summary>
        async Task KillWhileTheAgentHoldsTheReloadAsync()
        {
            var turn = await StartTurnAsync();
            _proxy.DelayNext(AgentPaths.ReloadToken, TimeSpan.FromSeconds(4));
            var seen = _proxy.RequestLines.Count(l => l.Contains(AgentPaths.ReloadToken, StringComparison.Ordinal));
            await ReportFailureAsync();
            await Eventually.Until(() => _proxy.RequestLines.Count(l => l.Contains(AgentPaths.ReloadToken, StringComparison.Ordinal)) > seen, "the reload to reach the agent");
            var worker = _running["rotation-worker"];
            await worker.KillAsync();
            var hit = worker.ExitCode == 137 && _proxy.RequestLines.Count(l => l.Contains(AgentPaths.ReloadToken, StringComparison.Ordinal)) == seen + 1;
            var cleared = Stopwatch.StartNew();
            _running["rotation-worker"] = await StartRotationWorkerAsync($"rotation-worker-{++_cells}");
            Cells.Add(await RecoverAsync("rotation-worker@reload-inside-the-agent", hit, "killed while the agent held the reload request", cleared, turn));
        }

        /// <summary>The worker pauses with the command in hand; the orchestrator is killed meanwhile and the answer arrives while it is down.</summary>
        async Task KillTheOrchestratorWhileTheWorkerReloadsAsync()
        {
            var turn = await StartTurnAsync();
            await _running["rotation-worker"].StopAsync();
            var pausing = await StartServiceAsync("rotation-worker", $"rotation-worker-pausing-{++_cells}", new() { ["Trinity__FaultInjection__Points__reload-received"] = "pause:3000:1" });
            _running["rotation-worker"] = pausing;
            await ReportFailureAsync();
            await Eventually.Until(() => FaultCell.Reached(pausing, "reload-received"), "the worker to hold the command");
            var orchestrator = _running["orchestrator"];
            await orchestrator.KillAsync();
            var hit = orchestrator.ExitCode == 137 && FaultCell.Reached(pausing, "reload-received");
            await Eventually.Until(() => pausing.Output.Any(l => l.Contains("reloaded; live fingerprint", StringComparison.Ordinal)),
                "the reload to land while the orchestrator is down");
            var cleared = Stopwatch.StartNew();
            _running["orchestrator"] = await StartOrchestratorAsync($"orchestrator-{_cells}");
            Cells.Add(await RecoverAsync("orchestrator@reload-in-flight", hit, "killed while the worker held ReloadToken", cleared, turn));
        }

        async Task<FaultCell> RecoverAsync(string cell, bool hit, string evidence, Stopwatch cleared, TurnView turn) =>
            await FaultCell.RecoverAsync(this, cell, hit, evidence, cleared,
                async () => (await RotationsAsync(Agent)).All(r => r.Outcome != RotationOutcome.InProgress) && (await _agent.LiveCredentialAsync()).Fingerprint == await AssignedFingerprintAsync(Agent),
                async () =>
                {
                    var ended = await _agent.WaitForTurnToEndAsync(turn.Id, TimeSpan.FromSeconds(60));
                    _turns.Add(new TurnFact(ended.Id, Agent, ended.Ending, KilledByInjectedFault: false));
                    return new RunRecord
                    {
                        LiveCredentials = { [Agent] = async () => (await _agent.LiveCredentialAsync()).Fingerprint },
                        Turns = [.. _turns],
                        Canaries = [.. _tokens],
                    };
                });

        /// <summary>A turn of a few seconds started just before the fault: it must end Completed, however the rotation went.</summary>
        Task<TurnView> StartTurnAsync() => _agent.StartTurnAsync(durationSeconds: 3);

        async Task ReportFailureAsync() => await Observer.Publish(Failure(Agent, (await AgentAsync(Agent)).SubscriptionId!.Value));

        async Task ReassignThroughTheApiAsync()
        {
            var current = (await AgentAsync(Agent)).SubscriptionId;
            var target = _subscriptions.First(s => s.Id != current && s.Id != _subscriptions[0].Id).Id;
            try
            {
                using var _ = await _api.PutAsJsonAsync($"/api/agents/{Agent}/subscription", new { subscriptionId = target });
            }
            catch (HttpRequestException)
            {
                // The API died before it answered: the test asserts the reassignment still happened.
            }
        }

        async Task<ServiceProcess> StartServiceAsync(string service, string name, Dictionary<string, string?> extra)
        {
            switch (service)
            {
                case "orchestrator":
                    return await StartOrchestratorAsync(name, extra);
                case "rotation-worker":
                    return await StartRotationWorkerAsync(name, extra);
                default:
                    var (process, client) = await StartApiAsync(extra, name);
                    _api = client;
                    return process;
            }
        }
    }

    public static TheoryData<string> CellNames() =>
    [
        "orchestrator@decided", "rotation-worker@reload-token-in-flight", "rotation-worker@answer-in-flight",
        "rotation-worker@reload-inside-the-agent", "orchestrator@reload-in-flight", "api@reassignment-committed",
    ];

    [Theory]
    [MemberData(nameof(CellNames))]
    public void The_fault_hit_its_step_and_the_checker_is_green_once_quiet(string cell)
    {
        var result = Assert.Single(scenario.Cells, c => c.Name == cell);
        Assert.True(result.HitTheStep, result.ToString());
        Assert.True(result.Violations.Count == 0, result.ToString());
    }

    [Fact]
    public async Task Every_cell_moved_the_agent_once_and_no_turn_was_killed()
    {
        var rotations = await scenario.RotationsAsync(Scenario.Agent);
        Assert.Equal(scenario.Cells.Count, rotations.Count(r => r.Outcome == RotationOutcome.Succeeded));
        Assert.All(rotations, r => Assert.Equal(Trinity.Messaging.Contracts.Messages.SwitchMethod.HotReload, r.Method));
    }
}
