using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.History;
using Trinity.Orchestrator.Tests.Decisions;

namespace Trinity.Orchestrator.Tests.History;

/// <summary>
/// Failure reports and ended rotations older than the retention are deleted; what something still points at is kept,
/// whatever its age: a failure an agent waits to decide or to look at again, the report that disabled a subscription,
/// a rotation in flight. Deleting never re-enables a subscription.
/// </summary>
public sealed class Keeping_history_for_its_retention(OrchestratorStores stores) : DecisionSpecs(stores), IClassFixture<OrchestratorStores>
{
    static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    static readonly DateTimeOffset Cutoff = Now.AddDays(-30);

    [Fact]
    public Task Old_rows_go_recent_ones_and_those_still_pointed_at_stay() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var saga = await d.AgentAsync(on: a);
        var old = Failure(saga, a, Now.AddDays(-40));
        var recent = Failure(saga, a, Now.AddDays(-1));
        var waiting = Failure(saga, a, Now.AddDays(-40));
        var lookedAtAgain = Failure(saga, a, Now.AddDays(-40));
        var disabling = Failure(saga, a, Now.AddDays(-40));
        d.Db.Failures.AddRange(old, recent, waiting, lookedAtAgain, disabling);
        a.DisabledAt = Now.AddDays(-40);
        a.DisabledByFailureId = disabling.Id;
        var ended = Rotation(saga, Now.AddDays(-40), RotationOutcome.Succeeded);
        var endedRecently = Rotation(saga, Now.AddDays(-2), RotationOutcome.Failed);
        var inFlight = Rotation(saga, Now.AddDays(-40), RotationOutcome.InProgress);
        d.Db.Rotations.AddRange(ended, endedRecently, inFlight);
        saga.CurrentState = "Reloading";
        saga.RotationId = inFlight.Id;
        saga.PendingFailureIds = [waiting.Id];
        saga.RecheckFailureId = lookedAtAgain.Id;
        d.Db.AgentCredentialStates.Add(saga);
        await d.Db.SaveChangesAsync();

        var pruned = await new HistoryPruning(d.Db).PruneAsync(Cutoff, default);

        Assert.Equal(new HistoryPruning.Pruned(Failures: 1, Rotations: 1), pruned);
        var failuresKept = await d.Db.Failures.AsNoTracking().Where(f => f.AgentName == saga.AgentName).Select(f => f.Id).ToListAsync();
        Assert.Equal(new[] { recent.Id, waiting.Id, lookedAtAgain.Id, disabling.Id }.Order(), failuresKept.Order());
        var rotationsKept = await d.Db.Rotations.AsNoTracking().Where(r => r.AgentName == saga.AgentName).Select(r => r.Id).ToListAsync();
        Assert.Equal(new[] { endedRecently.Id, inFlight.Id }.Order(), rotationsKept.Order());
        Assert.NotNull((await d.Db.Subscriptions.AsNoTracking().SingleAsync(s => s.Id == a.Id)).DisabledAt);
    });

    static FailureRecord Failure(AgentCredentialState saga, Subscription about, DateTimeOffset recordedAt) => new()
    {
        Id = Guid.NewGuid(), AgentName = saga.AgentName, SubscriptionId = about.Id, Kind = FailureKind.RateLimited, Source = FailureSource.Chat,
        OccurredAt = recordedAt, RecordedAt = recordedAt, Decision = "recorded",
    };

    static Rotation Rotation(AgentCredentialState saga, DateTimeOffset startedAt, RotationOutcome outcome) => new()
    {
        Id = Guid.NewGuid(), AgentName = saga.AgentName, Trigger = SwitchTrigger.AutoSwitch, Reason = "spec", Outcome = outcome, StartedAt = startedAt,
        CompletedAt = outcome == RotationOutcome.InProgress ? null : startedAt.AddSeconds(1), CausationId = AgentIdentity.For(saga.AgentName),
    };
}
