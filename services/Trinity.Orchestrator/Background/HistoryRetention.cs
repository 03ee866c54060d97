using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Orchestrator.Configuration;
using Trinity.Orchestrator.History;

namespace Trinity.Orchestrator.Background;

/// <summary>
/// Keeps <c>failures</c> and <c>rotations</c> to their retention (30 days by default): every pass deletes what was
/// recorded before it, a batch at a time, so neither table grows for as long as the fleet runs. The selector and the
/// API read only the last 7 days, so the retention may never be shorter than that.
/// </summary>
public sealed class HistoryRetention(
    IServiceScopeFactory scopes,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<HistoryRetention> logger) : PeriodicWork(options.Value.RetentionInterval, clock, logger)
{
    /// <summary>A busy table is worked down over several passes rather than in one long transaction.</summary>
    const int MostBatchesPerPass = 20;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var cutoff = Clock.GetUtcNow() - options.Value.HistoryRetention;
        var (failures, rotations) = (0, 0);
        for (var batch = 0; batch < MostBatchesPerPass; batch++)
        {
            await using var scope = scopes.CreateAsyncScope();
            var pruned = await scope.ServiceProvider.GetRequiredService<HistoryPruning>().PruneAsync(cutoff, cancellationToken);
            (failures, rotations) = (failures + pruned.Failures, rotations + pruned.Rotations);
            if (pruned.Failures < HistoryPruning.BatchSize && pruned.Rotations < HistoryPruning.BatchSize)
                break;
        }
        if (failures + rotations > 0)
            Logger.LogInformation("History retention: {Failures} failures and {Rotations} rotations recorded before {Cutoff:O} deleted", failures, rotations, cutoff);
    }
}
