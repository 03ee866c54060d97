using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Trinity.Orchestrator.Background;

/// <summary>Work an Orchestrator does on a timer; a failed pass is logged and the next tick tries again.</summary>
public abstract class PeriodicWork(TimeSpan interval, TimeProvider clock, ILogger logger) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;
    protected ILogger Logger { get; } = logger;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, Clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Logger.LogError(ex, "{Work} failed; retrying at the next tick", GetType().Name);
            }
        }
    }

    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);
}
