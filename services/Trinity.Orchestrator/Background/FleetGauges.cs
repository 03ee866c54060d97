using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Persistence;
using Trinity.Orchestrator.Configuration;

namespace Trinity.Orchestrator.Background;

/// <summary>
/// Reads the subscriptions' standing for <c>/metrics</c>: how many are available, cooling down or disabled, and how
/// many agents are stranded (on a subscription that is not available, with none available) — what the alert rules in <c>monitoring/</c> watch. Every
/// replica reads the same rows, so the rules take the maximum over replicas.
/// </summary>
public sealed class FleetGauges(
    IServiceScopeFactory scopes,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<FleetGauges> logger) : PeriodicWork(options.Value.GaugeInterval, clock, logger)
{
    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        var standings = await SubscriptionStandings.ReadAsync(db, Clock.GetUtcNow(), options.Value.Cooldown, cancellationToken);
        var available = standings.Count(s => s.Available);
        // An agent on a cooling-down subscription while another is available is not stranded: a rate limit moves only
        // the agent that met it, the others move when they meet it too. Stranded is when there is nowhere to go.
        TrinityMetrics.SubscriptionStandings(
            available,
            coolingDown: standings.Count(s => !s.Disabled && s.CooldownUntil is not null),
            disabled: standings.Count(s => s.Disabled),
            strandedAgents: available == 0 ? standings.Sum(s => s.AgentCount) : 0);
    }
}
