using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Trinity.Hosting.Tracing;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Configuration;
using Trinity.Orchestrator.History;

namespace Trinity.Orchestrator.Intake;

/// <summary>
/// Records failure reports in groups: every report the intake consumer is holding is written in one
/// transaction (a group commit), and each consumer is answered — committed, dropped as a duplicate, or refused
/// with its own reason — so every message keeps its own outcome (ack, retry or <c>_error</c>).
/// <para>
/// It also absorbs a burst before the state machine: a report about an agent and subscription that already
/// have a failure waiting for the state machine's decision, or one whose rotation is still in flight, is
/// recorded (its Retry-After counts for the cooldown) but not published again — it could change nothing.
/// </para>
/// </summary>
public sealed class FailureIntake(
    IServiceScopeFactory scopes,
    TimeProvider clock,
    IOptions<OrchestratorOptions> options,
    ILogger<FailureIntake> logger) : BackgroundService
{
    /// <param name="TraceParent">The trace of the consumer that handed the report over: its event continues it, though recorded in a group.</param>
    sealed record Pending(ReportSubscriptionFailure Report, TaskCompletionSource Done, string? TraceParent);

    readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Completes once the report is committed (or dropped as a duplicate); throws <see cref="RejectedFailureReportException"/> for this report alone.</summary>
    public async Task RecordAsync(ReportSubscriptionFailure report, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _pending.Writer.WriteAsync(new Pending(report, done, TrinityActivities.CurrentParent()), cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>();
        while (await _pending.Reader.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < options.Value.IntakeBatchSize && _pending.Reader.TryRead(out var next))
                batch.Add(next);
            try
            {
                await RecordBatchAsync(batch, stoppingToken);
            }
            catch (Exception ex) when (batch.Count > 1 && !IsTransient(ex) && (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested))
            {
                // A report the database refuses for a reason the admission did not foresee must not hold back its
                // neighbours: each is recorded alone, at once, and only what fails alone fails.
                logger.LogWarning(ex, "Intake could not record a group of {Count} failure reports; recording each alone", batch.Count);
                foreach (var pending in batch)
                    await RecordAloneAsync(pending, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Each message retries on its own (its endpoint's retry policy) and lands in a later group.
                foreach (var pending in batch)
                    pending.Done.TrySetException(ex);
            }
            batch.Clear();
        }
    }

    /// <summary>The database is away, not refusing a row: splitting the group would only fail it a report at a time.</summary>
    static bool IsTransient(Exception ex) =>
        ex is TimeoutException or NpgsqlException { IsTransient: true } || ex.InnerException is NpgsqlException { IsTransient: true };

    async Task RecordAloneAsync(Pending pending, CancellationToken stoppingToken)
    {
        try
        {
            await RecordBatchAsync([pending], stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            pending.Done.TrySetException(ex);
        }
    }

    async Task RecordBatchAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrinityDbContext>();
        var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();

        var ids = batch.Select(p => p.Report.FailureId).ToList();
        var known = (await db.Failures.Where(f => ids.Contains(f.Id)).Select(f => f.Id).ToListAsync(cancellationToken)).ToHashSet();
        var fresh = new List<(Pending Pending, ResolvedSubscription Subscription)>();
        var resolver = await SubscriptionResolver.LoadAsync(db, batch.Select(p => p.Report).ToList(), cancellationToken);
        foreach (var pending in batch)
        {
            if (!known.Add(pending.Report.FailureId))
            {
                logger.LogInformation("Failure {FailureId} of agent {AgentName} was already reported: dropped", pending.Report.FailureId, pending.Report.AgentName);
                pending.Done.TrySetResult();
            }
            else if (resolver.Resolve(pending.Report) is { } resolved)
                fresh.Add((pending, resolved));
            else
                pending.Done.TrySetException(new RejectedFailureReportException(resolver.Why(pending.Report)));
        }
        if (fresh.Count == 0)
            return;

        var agents = fresh.Select(f => AgentName.Normalize(f.Pending.Report.AgentName)).Distinct().ToList();
        var undecided = (await (
                from failure in db.Failures
                where agents.Contains(failure.AgentName) && failure.RecordedAt > clock.GetUtcNow() - options.Value.ReloadDeadline
                      && (failure.Decision == null
                          || db.Rotations.Any(r => r.Id == failure.RotationId && r.Outcome == RotationOutcome.InProgress))
                select new { failure.AgentName, failure.SubscriptionId, failure.Id })
            .ToListAsync(cancellationToken))
            .GroupBy(f => (f.AgentName, f.SubscriptionId))
            .ToDictionary(g => g.Key, g => g.First().Id);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.EnsureStatesExistAsync(agents, cancellationToken);
        var now = clock.GetUtcNow();
        foreach (var (pending, (subscriptionId, keyVersion)) in fresh)
        {
            var report = pending.Report;
            var agentName = AgentName.Normalize(report.AgentName);
            var record = new FailureRecord
            {
                Id = report.FailureId,
                AgentName = agentName,
                SubscriptionId = subscriptionId,
                KeyVersion = keyVersion,
                Kind = report.Kind,
                Source = report.Source,
                ExecutionId = report.ExecutionId,
                StatusCode = report.StatusCode,
                ErrorMessage = report.ErrorMessage,
                RetryAfterSeconds = report.RetryAfterSeconds,
                OccurredAt = report.OccurredAt,
                RecordedAt = now,
            };
            db.Failures.Add(record);
            if (undecided.TryGetValue((agentName, subscriptionId), out var earlier))
            {
                record.Decision = $"absorbed: failure {earlier} of the same agent and subscription is being acted on";
                continue;
            }
            undecided[(agentName, subscriptionId)] = record.Id;
            outbox.Publish(FailureHistory.ToEvent(record), AgentIdentity.For(agentName), pending.TraceParent);
        }
        // Each consumer is answered once its report is committed; the events go out while the next group is
        // recorded (what fails to go, the relay sends).
        await outbox.SaveAndSendAsync(transaction, cancellationToken, afterCommit: () =>
        {
            foreach (var (pending, _) in fresh)
                pending.Done.TrySetResult();
            return Task.CompletedTask;
        }, waitForSend: false);
        logger.LogInformation("Intake recorded {Count} failure reports for {Agents} agents", fresh.Count, agents.Count);
    }
}
