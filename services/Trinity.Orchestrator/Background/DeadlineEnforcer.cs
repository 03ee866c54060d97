using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;

namespace Trinity.Orchestrator.Background;

/// <summary>
/// Deadlines live in PostgreSQL (the broker has no delayed-message plugin here). A rotation past its deadline
/// whose lease is still held has been renewed by whoever works on it (a long drain): its deadline moves to the
/// lease's end. One whose lease has lapsed gets a <see cref="RotationDeadlinePassed"/>, and the state machine
/// fails it; the deadline moves on by <see cref="OrchestratorOptions.DeadlineRepeat"/>, so if that failing fails
/// (the message dead-letters) it fires again, until the state machine has really ended the rotation. Every replica
/// may run this: the conditional update lets only one of them act on a deadline.
/// </summary>
public sealed class DeadlineEnforcer(
    IServiceScopeFactory scopes,
    AgentLease lease,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<DeadlineEnforcer> logger) : PeriodicWork(options.Value.DeadlineScanInterval, clock, logger)
{
    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
        var now = Clock.GetUtcNow();
        var due = await db.AgentCredentialStates.AsNoTracking()
            .Where(s => s.RotationId != null && s.DeadlineAt != null && s.DeadlineAt <= now)
            .Select(s => new { s.CorrelationId, s.AgentName, RotationId = s.RotationId!.Value, Deadline = s.DeadlineAt!.Value })
            .Take(500)
            .ToListAsync(cancellationToken);

        foreach (var rotation in due)
        {
            var remaining = await lease.RemainingForAsync(rotation.AgentName, rotation.RotationId);
            var claim = db.AgentCredentialStates.Where(s => s.CorrelationId == rotation.CorrelationId && s.RotationId == rotation.RotationId && s.DeadlineAt == rotation.Deadline);
            if (remaining is { } left && left > TimeSpan.Zero)
            {
                var extended = now + left;
                if (await claim.ExecuteUpdateAsync(s => s.SetProperty(x => x.DeadlineAt, extended), cancellationToken) == 1)
                    Logger.LogInformation("Rotation {RotationId} of agent {AgentName} passed its deadline with its lease renewed: extended to {Deadline}",
                        rotation.RotationId, rotation.AgentName, extended);
                continue;
            }

            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var again = now + options.Value.DeadlineRepeat;
            if (await claim.ExecuteUpdateAsync(s => s.SetProperty(x => x.DeadlineAt, again), cancellationToken) != 1)
                continue;
            outbox.Publish(new RotationDeadlinePassed
            {
                RotationId = rotation.RotationId,
                AgentName = rotation.AgentName,
                Deadline = rotation.Deadline,
            });
            await outbox.SaveAndSendAsync(transaction, cancellationToken);
            Logger.LogWarning("Rotation {RotationId} of agent {AgentName} passed its deadline {Deadline} with its lease lapsed",
                rotation.RotationId, rotation.AgentName, rotation.Deadline);
        }
    }
}
