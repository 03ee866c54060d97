using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;

namespace Trinity.Orchestrator.Background;

/// <summary>
/// An agent that found no viable alternative is looked at again when the earliest cooldown that blocked it ends,
/// without waiting for another report: at its <c>RecheckAt</c>, its state machine gets a <see cref="TokenRefreshReason.Recheck"/>.
/// The time moves on by <see cref="OrchestratorOptions.DeadlineRepeat"/> as it is sent, so a lost message is sent again;
/// the state machine clears it when it looks. Every replica may run this: the conditional update lets one act.
/// </summary>
public sealed class RecheckScheduler(
    IServiceScopeFactory scopes,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<RecheckScheduler> logger) : PeriodicWork(options.Value.DeadlineScanInterval, clock, logger)
{
    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
        var now = Clock.GetUtcNow();
        var due = await db.AgentCredentialStates.AsNoTracking()
            .Where(s => s.RecheckAt != null && s.RecheckAt <= now)
            .Select(s => new { s.CorrelationId, s.AgentName, At = s.RecheckAt!.Value })
            .Take(500)
            .ToListAsync(cancellationToken);

        foreach (var agent in due)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var again = now + options.Value.DeadlineRepeat;
            if (await db.AgentCredentialStates.Where(s => s.CorrelationId == agent.CorrelationId && s.RecheckAt == agent.At)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.RecheckAt, again), cancellationToken) != 1)
                continue;
            outbox.Publish(AgentTokenRefreshRequested.ToDatabaseView(agent.AgentName, TokenRefreshReason.Recheck, MassTransit.NewId.NextGuid()),
                AgentIdentity.For(agent.AgentName));
            await outbox.SaveAndSendAsync(transaction, cancellationToken);
            Logger.LogInformation("Agent {AgentName}: a cooldown that left it without an alternative has ended; looking again", agent.AgentName);
        }
    }
}
