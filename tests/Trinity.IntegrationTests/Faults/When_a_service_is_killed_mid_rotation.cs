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
    public sealed class Scenario : HotReloadFaultSystem
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await StartAsync(cells: 7);
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
            await Running[service].StopAsync();
            var faulty = await StartServiceAsync(service, Numbered($"{service}-killed"), new() { [$"Trinity__FaultInjection__Points__{step}"] = "crash" });
            var turn = await StartTurnAsync();
            await trigger();
            await faulty.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var hit = faulty.ExitCode == 137 && FaultCell.Reached(faulty, step);
            var cleared = Stopwatch.StartNew();
            Running[service] = await StartServiceAsync(service, Numbered(service), []);
            Cells.Add(await RecoverAsync(cell, hit, $"exit {faulty.ExitCode} after logging step {step}", cleared, turn));
        }

        /// <summary>The proxy holds the reload inside the agent's connection; the worker is killed while it waits for the answer.</summary>
        async Task KillWhileTheAgentHoldsTheReloadAsync()
        {
            var turn = await StartTurnAsync();
            Proxy.DelayNext(AgentPaths.ReloadToken, TimeSpan.FromSeconds(4));
            var seen = ReloadsSeen();
            await ReportFailureAsync();
            await Eventually.Until(() => ReloadsSeen() > seen, "the reload to reach the agent");
            var worker = Running["rotation-worker"];
            var reloaded = AgentReloads();
            await worker.KillAsync();
            // The agent had not handled the held request when the worker died.
            var hit = worker.ExitCode == 137 && ReloadsSeen() == seen + 1 && AgentReloads() == reloaded;
            var cleared = Stopwatch.StartNew();
            Running["rotation-worker"] = await StartServiceAsync("rotation-worker", Numbered("rotation-worker"), []);
            Cells.Add(await RecoverAsync("rotation-worker@reload-inside-the-agent", hit, "killed while the agent held the reload request", cleared, turn));
        }

        /// <summary>The worker pauses with the command in hand; the orchestrator is killed meanwhile and the answer arrives while it is down.</summary>
        async Task KillTheOrchestratorWhileTheWorkerReloadsAsync()
        {
            await Running["rotation-worker"].StopAsync();
            var pausing = await StartServiceAsync("rotation-worker", Numbered("rotation-worker-pausing"), new() { ["Trinity__FaultInjection__Points__reload-received"] = "pause:3000:1" });
            Running["rotation-worker"] = pausing;
            var turn = await StartTurnAsync();
            await ReportFailureAsync();
            await Eventually.Until(() => FaultCell.Reached(pausing, "reload-received"), "the worker to hold the command");
            var orchestrator = Running["orchestrator"];
            await orchestrator.KillAsync();
            // The worker still held the command when the orchestrator died: it had not reloaded the agent yet.
            var hit = orchestrator.ExitCode == 137 && FaultCell.Reached(pausing, "reload-received") && WorkerReloads(pausing) == 0;
            await Eventually.Until(() => pausing.Output.Any(l => l.Contains("reloaded; live fingerprint", StringComparison.Ordinal)),
                "the reload to land while the orchestrator is down");
            var cleared = Stopwatch.StartNew();
            Running["orchestrator"] = await StartServiceAsync("orchestrator", Numbered("orchestrator"), []);
            Cells.Add(await RecoverAsync("orchestrator@reload-in-flight", hit, "killed while the worker held ReloadToken", cleared, turn));
        }

        async Task ReassignThroughTheApiAsync()
        {
            var current = (await AgentAsync(Agent)).SubscriptionId;
            var target = Subscriptions.First(s => s.Id != current && s.Id != Subscriptions[0].Id).Id;
            try
            {
                using var _ = await Api.PutAsJsonAsync($"/api/agents/{Agent}/subscription", new { subscriptionId = target });
            }
            catch (HttpRequestException)
            {
                // The API died before it answered: the test asserts the reassignment still happened.
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
