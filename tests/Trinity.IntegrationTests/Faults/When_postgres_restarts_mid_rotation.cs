using System.Diagnostics;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The fault matrix of a hot-reload with PostgreSQL — the class's own cluster — shut down (fast, as
/// <c>pg_ctl stop</c> does) for several seconds and started again: once while the worker holds <c>ReloadToken</c>
/// and must read the agent and the token, once as a report arrives and must be admitted and decided. No message may
/// reach <c>_error</c> and no service may die of it; each cell waits for quiet and runs the invariant checker, with a
/// turn in flight throughout.
/// </summary>
public sealed class When_postgres_restarts_mid_rotation(When_postgres_restarts_mid_rotation.Scenario scenario)
    : IClassFixture<When_postgres_restarts_mid_rotation.Scenario>
{
    public static readonly TimeSpan Down = TimeSpan.FromSeconds(8);

    public sealed class Scenario : HotReloadFaultSystem
    {
        public override async Task InitializeAsync()
        {
            await UseOwnPostgresAsync();
            await base.InitializeAsync();
            await StartAsync(cells: 2);
            await RestartWhileTheWorkerHoldsTheCommandAsync();
            await RestartAsAReportArrivesAsync();
        }

        async Task RestartWhileTheWorkerHoldsTheCommandAsync()
        {
            await Running["rotation-worker"].StopAsync();
            var holding = await StartServiceAsync("rotation-worker", Numbered("rotation-worker-holding"), new() { ["Trinity__FaultInjection__Points__reload-received"] = "pause:6000:1" });
            Running["rotation-worker"] = holding;
            var turn = await StartTurnAsync();
            await ReportFailureAsync();
            await Eventually.Until(() => FaultCell.Reached(holding, "reload-received"), "the worker to hold the command");
            await OwnPostgres!.StopAsync();
            // The worker still held the command, its database reads not yet made, when PostgreSQL went down.
            var held = WorkerReloads(holding) == 0;
            var cleared = await RestartAfterDownAsync();
            // And it had not reloaded when PostgreSQL came back: its reads waited the outage out. Most runs log an
            // R-RETRY for it; one CI run logged none, its read returning 13 s after the pause (not explained yet), so the
            // retry line is reported, not required.
            var waited = WorkerReloads(holding) == 0;
            await AddCellAsync("postgres@restarted-while-the-worker-holds-the-command", held && waited,
                $"down {Down.TotalSeconds:F0} s from the moment the worker held ReloadToken; not reloaded until it was back ({Retries(holding)} R-RETRY)", cleared, turn);
        }

        async Task RestartAsAReportArrivesAsync()
        {
            var turn = await StartTurnAsync();
            var subscription = (await AgentAsync(Agent)).SubscriptionId!.Value;
            var orchestrator = Running["orchestrator"];
            var retries = Retries(orchestrator);
            await OwnPostgres!.StopAsync();
            await Observer.Publish(Failure(Agent, subscription));
            var cleared = await RestartAfterDownAsync();
            await AddCellAsync("postgres@restarted-as-a-report-arrives", Retries(orchestrator) > retries,
                $"down {Down.TotalSeconds:F0} s from just before the report, which the orchestrator retried", cleared, turn);
        }

        /// <summary>MassTransit's retry lines in a service's output: a message that met the database down and was tried again.</summary>
        static int Retries(ServiceProcess service) => service.Output.Count(l => l.Contains("R-RETRY", StringComparison.Ordinal));

        /// <summary>The cell hit when the fault came at its step and every service lived through it to the quiet end.</summary>
        async Task AddCellAsync(string cell, bool atItsStep, string evidence, Stopwatch cleared, TurnView turn)
        {
            var result = await RecoverAsync(cell, atItsStep, evidence, cleared, turn);
            var dead = Running.Values.Where(p => p.HasExited).Select(p => p.Name).ToList();
            Cells.Add(dead.Count == 0 ? result : result with { HitTheStep = false, Evidence = $"{evidence}; died: {string.Join(", ", dead)}" });
        }

        /// <summary>Keeps PostgreSQL down for <see cref="Down"/>, starts it and answers when it took connections again.</summary>
        async Task<Stopwatch> RestartAfterDownAsync()
        {
            await Task.Delay(Down);
            await OwnPostgres!.StartAsync();
            return Stopwatch.StartNew();
        }
    }

    [Theory]
    [InlineData("postgres@restarted-while-the-worker-holds-the-command")]
    [InlineData("postgres@restarted-as-a-report-arrives")]
    public void Every_service_lived_and_the_checker_is_green_once_quiet(string cell)
    {
        var result = Assert.Single(scenario.Cells, c => c.Name == cell);
        Assert.True(result.HitTheStep, result.ToString());
        Assert.True(result.Violations.Count == 0, result.ToString());
    }

    [Fact]
    public async Task Each_restart_cost_one_rotation_and_it_succeeded_by_hot_reload()
    {
        var rotations = await scenario.RotationsAsync(Scenario.Agent);
        Assert.Equal(scenario.Cells.Count, rotations.Count(r => r.Outcome == RotationOutcome.Succeeded));
        Assert.All(rotations, r => Assert.Equal(SwitchMethod.HotReload, r.Method));
    }
}
