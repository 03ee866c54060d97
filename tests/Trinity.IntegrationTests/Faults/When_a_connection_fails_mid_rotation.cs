using System.Diagnostics;
using Trinity.AgentProtocol;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The fault matrix of a hot-reload where nothing dies but a connection: the agent's connection reset before the
/// reload reaches it and after it handled it, the agent server paused (SIGSTOP) past one call timeout, and a service's
/// broker connection closed from the broker's side (as an operator would in the management UI) — the worker's while
/// it holds <c>ReloadToken</c>, the orchestrator's just before a report arrives. Each cell proves it hit its step,
/// clears the fault, waits for quiet and runs the invariant checker, with a turn in flight throughout.
/// </summary>
public sealed class When_a_connection_fails_mid_rotation(When_a_connection_fails_mid_rotation.Scenario scenario)
    : IClassFixture<When_a_connection_fails_mid_rotation.Scenario>
{
    public sealed class Scenario : HotReloadFaultSystem
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            // Two seconds a call, so a pause of a few seconds outlasts one call and not all three.
            await StartAsync(cells: 5, new() { ["Trinity__RotationWorker__AgentCallTimeout"] = "00:00:02" });
            await ResetTheAgentConnectionAsync("agent@connection-reset-before-the-reload", afterTheAgent: false);
            await ResetTheAgentConnectionAsync("agent@connection-reset-after-the-reload", afterTheAgent: true);
            await PauseTheAgentPastOneCallAsync();
            await SeverTheWorkersBrokerConnectionHoldingTheCommandAsync();
            await SeverTheOrchestratorsBrokerConnectionAsync();
        }

        /// <summary>
        /// The proxy cuts the next reload's connection with a reset. Before the agent: it never saw the request.
        /// After: it reloaded, and the worker never heard so. Either way the worker's retry must land, the second
        /// time with the same fence, which the agent accepts again.
        /// </summary>
        async Task ResetTheAgentConnectionAsync(string cell, bool afterTheAgent)
        {
            var turn = await StartTurnAsync();
            var (resets, seen, reloaded) = (Proxy.Resets, ReloadsSeen(), AgentReloads());
            Proxy.ResetNext(AgentPaths.ReloadToken, afterTheAgent);
            await ReportFailureAsync();
            await Eventually.Until(() => Proxy.Resets > resets, "the proxy to reset the reload's connection");
            var cleared = Stopwatch.StartNew();
            await Eventually.Until(() => ReloadsSeen() >= seen + 2, "the worker to try the reload again");
            // The agent handled the retry, and the reset request too when the reset came after it.
            var handled = afterTheAgent ? 2 : 1;
            await Eventually.Until(() => AgentReloads() >= reloaded + handled, "the agent to handle the retried reload");
            var hit = Proxy.Resets == resets + 1 && AgentReloads() == reloaded + handled;
            Cells.Add(await RecoverAsync(cell, hit, $"connection reset {(afterTheAgent ? "after" : "before")} the agent handled the reload", cleared, turn));
        }

        /// <summary>The agent server is stopped (SIGSTOP) with the reload on its socket; it resumes after one call timed out and the next is waiting.</summary>
        async Task PauseTheAgentPastOneCallAsync()
        {
            var turn = await StartTurnAsync();
            var worker = Running["rotation-worker"];
            var timeouts = worker.Output.Count(IsFirstUnreachable);
            bool timedOutWhilePaused;
            AgentServer.Process.Pause();
            try
            {
                await ReportFailureAsync();
                await Eventually.Until(() => worker.Output.Count(IsFirstUnreachable) > timeouts, "the first call to the paused agent to time out");
                timedOutWhilePaused = worker.Output.Count(IsFirstUnreachable) == timeouts + 1;
            }
            finally
            {
                AgentServer.Process.Resume();
            }
            var cleared = Stopwatch.StartNew();
            Cells.Add(await RecoverAsync("agent@paused-past-one-call", timedOutWhilePaused, "the worker's first call to the paused agent timed out", cleared, turn));
        }

        static bool IsFirstUnreachable(string line) => line.Contains("unreachable (attempt 1 of 3)", StringComparison.Ordinal);

        /// <summary>The worker holds the command (a pause at <c>reload-received</c>) while the broker closes its connection; it reloads, and the command comes back.</summary>
        async Task SeverTheWorkersBrokerConnectionHoldingTheCommandAsync()
        {
            await Running["rotation-worker"].StopAsync();
            var holding = await StartServiceAsync("rotation-worker", Numbered("rotation-worker-holding"), new() { ["Trinity__FaultInjection__Points__reload-received"] = "pause:6000:1" });
            Running["rotation-worker"] = holding;
            await Eventually.Until(async () => (await Management.ConnectionsAsync(VirtualHost, Suffix(holding))).Count > 0, "the broker to list the worker's connection");
            var turn = await StartTurnAsync();
            await ReportFailureAsync();
            await Eventually.Until(() => FaultCell.Reached(holding, "reload-received"), "the worker to hold the command");
            var closed = await Management.CloseConnectionsAsync(VirtualHost, Suffix(holding));
            var stillHeld = WorkerReloads(holding) == 0;
            var cleared = Stopwatch.StartNew();
            var cell = await RecoverAsync("rotation-worker@broker-connection-severed", closed > 0 && stillHeld,
                $"{closed} broker connection(s) closed while the worker held ReloadToken", cleared, turn);
            Cells.Add(cell with { HitTheStep = cell.HitTheStep && !holding.HasExited });
        }

        /// <summary>The orchestrator's connection is closed and a report published at once: it waits in the durable queue until the orchestrator is back.</summary>
        async Task SeverTheOrchestratorsBrokerConnectionAsync()
        {
            var orchestrator = Running["orchestrator"];
            var turn = await StartTurnAsync();
            var closed = await Management.CloseConnectionsAsync(VirtualHost, Suffix(orchestrator));
            var cleared = Stopwatch.StartNew();
            await ReportFailureAsync();
            var cell = await RecoverAsync("orchestrator@broker-connection-severed", closed > 0,
                $"{closed} broker connection(s) closed just before the report", cleared, turn);
            Cells.Add(cell with { HitTheStep = cell.HitTheStep && !orchestrator.HasExited });
        }

        /// <summary>The end of the name a service gives its broker connection (<c>service@machine:pid</c>).</summary>
        static string Suffix(ServiceProcess service) => $":{service.Id}";
    }

    public static TheoryData<string> CellNames() =>
    [
        "agent@connection-reset-before-the-reload", "agent@connection-reset-after-the-reload", "agent@paused-past-one-call",
        "rotation-worker@broker-connection-severed", "orchestrator@broker-connection-severed",
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
    public async Task Every_cell_moved_the_agent_once_by_hot_reload_and_never_fell_back()
    {
        var rotations = await scenario.RotationsAsync(Scenario.Agent);
        Assert.Equal(scenario.Cells.Count, rotations.Count(r => r.Outcome == RotationOutcome.Succeeded));
        Assert.All(rotations, r => Assert.Equal(SwitchMethod.HotReload, r.Method));
    }
}
