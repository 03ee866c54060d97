using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.Tests.Decisions;

/// <summary>Design §4 rules 6, 7 and 10 (docs/design.md): reassignments, refreshes, the end of a rotation and the request that waited for it.</summary>
public sealed class Ending_a_rotation_and_what_waited_for_it(OrchestratorStores stores) : DecisionSpecs(stores), IClassFixture<OrchestratorStores>
{
    [Fact]
    public Task A_reassignment_between_subscriptions_is_a_hot_reload() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);

        var next = await d.Decisions.OnReassignmentAsync(saga, Reassign(saga, to: b), default);

        Assert.Equal(NextState.Reloading, next);
        Assert.Equal((SwitchTrigger.Manual, SwitchMethod.HotReload), (d.Rotation(saga)!.Trigger, d.Rotation(saga)!.Method));
        Assert.Equal(b.Id, Assert.Single(d.Staged<ReloadToken>()).Message.SubscriptionId);
    });

    [Fact]
    public Task Leaving_subscription_mode_is_a_drained_recreate_whose_lease_lasts_as_long_as_its_deadline() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var saga = await d.AgentAsync(on: a);

        var next = await d.Decisions.OnReassignmentAsync(saga, Reassign(saga, to: null), default);

        Assert.Equal(NextState.Recreating, next);
        Assert.Null(d.Agent(saga).SubscriptionId);
        var (recreate, destination) = Assert.Single(d.Staged<RecreateContainer>());
        Assert.Equal((1L, TimeSpan.FromMinutes(2)), (recreate.FencingToken, recreate.DrainTimeout));
        Assert.Equal("exchange:trinity.container-manager.host.local", destination);
        Assert.Empty(d.Staged<ReloadToken>());
        // Drain (2 min) + recreate budget (60 s): the lease was extended from the hot-reload's 60 s.
        Assert.InRange((await d.LeaseTimeToLiveAsync(saga))!.Value, TimeSpan.FromSeconds(170), TimeSpan.FromSeconds(180));
    });

    [Fact]
    public Task A_reassignment_to_a_removed_subscription_is_refused_and_recorded() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var removed = await d.SubscriptionAsync("removed");
        removed.DeletedAt = DateTimeOffset.UtcNow;
        await d.Db.SaveChangesAsync();
        var saga = await d.AgentAsync(on: a);

        Assert.Equal(NextState.Idle, await d.Decisions.OnReassignmentAsync(saga, Reassign(saga, to: removed), default));

        var rotation = d.Rotation(saga)!;
        Assert.Equal(RotationOutcome.Failed, rotation.Outcome);
        Assert.StartsWith("refused: subscription", rotation.OutcomeDetail, StringComparison.Ordinal);
        Assert.Equal(a.Id, d.Agent(saga).SubscriptionId);
    });

    [Fact]
    public Task A_rollover_hot_reloads_the_new_key_unless_the_agent_already_runs_it() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a", keyVersion: 2);
        var behind = await d.AgentAsync(on: a);
        behind.AppliedKeyVersion = 1;
        var current = await d.AgentAsync(on: a);

        Assert.Equal(NextState.Reloading, await d.Decisions.OnRefreshAsync(behind, Rollover(behind, a), default));
        Assert.Equal(NextState.Idle, await d.Decisions.OnRefreshAsync(current, Rollover(current, a), default));

        var reload = Assert.Single(d.Staged<ReloadToken>()).Message;
        Assert.Equal((behind.AgentName, 2), (reload.AgentName, reload.KeyVersion));
        Assert.Null(await d.LeaseOwnerAsync(current));
    });

    [Fact]
    public Task A_removal_with_no_alternative_leaves_subscription_mode_and_publishes_exhaustion() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var saga = await d.AgentAsync(on: a);
        a.DeletedAt = DateTimeOffset.UtcNow;
        await d.Db.SaveChangesAsync();

        var next = await d.Decisions.OnRefreshAsync(saga, new AgentTokenRefreshRequested
        {
            AgentName = saga.AgentName, SubscriptionId = a.Id, KeyVersion = 0, Reason = TokenRefreshReason.Removal, CausationId = Guid.NewGuid(),
        }, default);

        Assert.Equal(NextState.Recreating, next);
        Assert.Null(d.Agent(saga).SubscriptionId);
        Assert.Single(d.Staged<RecreateContainer>());
        Assert.Equal(a.Id, Assert.Single(d.Staged<AgentSubscriptionsExhausted>()).Message.FailedSubscriptionId);
        Assert.EndsWith("; no alternative: leaving subscription mode", d.Rotation(saga)!.Reason, StringComparison.Ordinal);
    });

    [Fact]
    public Task A_completed_rotation_is_recorded_switched_and_released_and_the_reassignment_that_waited_starts_next() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var c = await d.SubscriptionAsync("c");
        var saga = await d.AgentAsync(on: a);
        await d.Decisions.OnFailureAsync(saga, Decision.Failure(saga, about: a), default);
        var first = saga.RotationId!.Value;
        var waiting = Reassign(saga, to: c);
        saga.DeferReassignment(waiting.RequestId, c.Id);

        await d.Lifecycle.CompleteAsync(saga, SwitchMethod.HotReload, b.TokenFingerprint, null, default);
        Assert.Equal((b.Id, false, (Guid?)null), (saga.AppliedSubscriptionId, saga.OutOfSync, saga.RotationId));
        Assert.Null(await d.LeaseOwnerAsync(saga));
        var switched = Assert.Single(d.Staged<AgentSubscriptionSwitched>()).Message;
        Assert.Equal((a.Id, b.Id, SwitchMethod.HotReload, first), (switched.From, switched.To, switched.Method, switched.RotationId));
        Assert.Equal(RotationOutcome.Succeeded, d.Db.Rotations.Local.Single(r => r.Id == first).Outcome);

        Assert.Equal(NextState.Reloading, await d.Decisions.ApplyPendingAsync(saga, default));
        Assert.False(saga.HasPending);
        Assert.Equal((c.Id, 2L), (d.Agent(saga).SubscriptionId, d.Agent(saga).FencingToken));
        Assert.Equal(SwitchTrigger.Manual, saga.RotationTrigger);
    });

    [Fact]
    public Task A_failed_rotation_leaves_the_assignment_and_the_agent_visibly_out_of_sync() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        await d.Decisions.OnFailureAsync(saga, Decision.Failure(saga, about: a), default);
        var rotation = saga.RotationId!.Value;

        await d.Lifecycle.FailAsync(saga, RotationFailureReason.Rejected, "the agent answered 401", default);

        Assert.True(saga.OutOfSync);
        Assert.Equal(a.Id, saga.AppliedSubscriptionId);
        Assert.Equal(b.Id, d.Agent(saga).SubscriptionId);
        var recorded = d.Db.Rotations.Local.Single(r => r.Id == rotation);
        Assert.Equal((RotationOutcome.Failed, "Rejected: the agent answered 401"), (recorded.Outcome, recorded.OutcomeDetail));
        Assert.Empty(d.Staged<AgentSubscriptionSwitched>());
        Assert.Equal(NextState.Idle, await d.Decisions.ApplyPendingAsync(saga, default));
    });

    [Fact]
    public Task A_fallback_to_a_recreate_waits_under_the_recreate_deadline_with_the_lease_extended_to_match() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        await d.Decisions.OnFailureAsync(saga, Decision.Failure(saga, about: a), default);
        var reloadDeadline = saga.DeadlineAt!.Value;

        await d.Lifecycle.FollowFallbackAsync(saga, new TokenReloadFellBack
        {
            RotationId = saga.RotationId!.Value, AgentName = saga.AgentName, Reason = FallbackReason.EndpointMissing, DrainTimeout = TimeSpan.FromMinutes(5),
        }, default);

        Assert.Equal(SwitchMethod.Recreate, saga.RotationMethod);
        Assert.True(saga.DeadlineAt > reloadDeadline.AddMinutes(5), $"deadline {saga.DeadlineAt} after a 5 min drain");
        Assert.InRange((await d.LeaseTimeToLiveAsync(saga))!.Value, TimeSpan.FromSeconds(350), TimeSpan.FromSeconds(360));
        Assert.EndsWith("; hot-reload fell back to a drained recreate (EndpointMissing)", d.Rotation(saga)!.Reason, StringComparison.Ordinal);
    });

    [Fact]
    public Task A_429_during_a_rollover_is_real_it_waits_and_moves_the_agent_once_the_rollover_ends() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a", keyVersion: 2);
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        saga.AppliedKeyVersion = 1;
        Assert.Equal(NextState.Reloading, await d.Decisions.OnRefreshAsync(saga, Rollover(saga, a), default));
        var rateLimited = Decision.Failure(saga, about: a);

        await d.Decisions.DeferFailureAsync(saga, rateLimited);
        Assert.Null(d.FailureRecord(rateLimited).Decision);
        await d.Lifecycle.CompleteAsync(saga, SwitchMethod.HotReload, a.TokenFingerprint, null, default);

        Assert.Equal(NextState.Reloading, await d.Decisions.ApplyPendingAsync(saga, default));
        Assert.Equal(b.Id, d.Agent(saga).SubscriptionId);
        Assert.Equal($"switched to {b.Name}", d.FailureRecord(rateLimited).Decision);
    });

    [Fact]
    public Task A_failure_that_waited_is_decided_before_a_refresh_that_came_after_it_and_is_not_lost() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var c = await d.SubscriptionAsync("c");
        var saga = await d.AgentAsync(on: a);
        await d.Decisions.OnFailureAsync(saga, Decision.Failure(saga, about: a), default);
        var aboutB = Decision.Failure(saga, about: b);
        await d.Decisions.DeferFailureAsync(saga, aboutB);
        var sameB = Decision.Failure(saga, about: b);
        await d.Decisions.DeferFailureAsync(saga, sameB);
        saga.DeferRefresh(Guid.NewGuid(), TokenRefreshReason.Reconcile, b.Id);

        await d.Lifecycle.CompleteAsync(saga, SwitchMethod.HotReload, b.TokenFingerprint, null, default);
        Assert.Equal(NextState.Reloading, await d.Decisions.ApplyPendingAsync(saga, default));

        Assert.Equal(c.Id, d.Agent(saga).SubscriptionId);
        Assert.Equal($"switched to {c.Name}", d.FailureRecord(aboutB).Decision);
        Assert.Equal($"absorbed: failure {aboutB.FailureId} of the same subscription waits for the rotation to end", d.FailureRecord(sameB).Decision);
        Assert.NotNull(saga.PendingRefreshId);
    });

    [Fact]
    public Task A_failed_rotation_backs_off_the_reconciler_and_a_success_starts_it_afresh() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        await d.Decisions.OnReassignmentAsync(saga, Reassign(saga, to: b), default);
        await d.Lifecycle.FailAsync(saga, RotationFailureReason.Rejected, "401", default);
        var firstRetry = saga.NextAttemptAt!.Value - DateTimeOffset.UtcNow;
        Assert.Equal((1, "Rejected: 401"), (saga.FailedAttempts, saga.LastFailure));
        Assert.InRange(firstRetry, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30));

        await d.Decisions.OnRefreshAsync(saga, new AgentTokenRefreshRequested
        {
            AgentName = saga.AgentName, SubscriptionId = b.Id, KeyVersion = 1, Reason = TokenRefreshReason.Reconcile, CausationId = Guid.NewGuid(),
        }, default);
        await d.Lifecycle.FailAsync(saga, RotationFailureReason.Rejected, "401", default);
        Assert.Equal(2, saga.FailedAttempts);
        Assert.InRange(saga.NextAttemptAt!.Value - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));

        await d.Decisions.OnRefreshAsync(saga, new AgentTokenRefreshRequested
        {
            AgentName = saga.AgentName, SubscriptionId = b.Id, KeyVersion = 1, Reason = TokenRefreshReason.Reconcile, CausationId = Guid.NewGuid(),
        }, default);
        await d.Lifecycle.CompleteAsync(saga, SwitchMethod.HotReload, b.TokenFingerprint, null, default);
        Assert.Equal((0, (DateTimeOffset?)null, (string?)null), (saga.FailedAttempts, saga.NextAttemptAt, saga.LastFailure));
    });

    [Fact]
    public void The_back_off_doubles_up_to_an_hour_and_a_new_trigger_starts_it_afresh()
    {
        var saga = new AgentCredentialState();
        var now = DateTimeOffset.UtcNow;
        var waits = Enumerable.Range(0, 9).Select(_ =>
        {
            saga.Failed("Rejected", now, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1));
            return saga.NextAttemptAt!.Value - now;
        }).ToList();
        Assert.Equal([30, 60, 120, 240, 480, 960, 1920, 3600, 3600], waits.Select(w => (int)w.TotalSeconds));
        saga.NewTrigger();
        Assert.Equal((0, (DateTimeOffset?)null), (saga.FailedAttempts, saga.NextAttemptAt));
    }

    [Fact]
    public void What_waits_a_later_reassignment_replaces_refreshes_coalesce_and_every_failure_is_kept()
    {
        var saga = new AgentCredentialState();
        var (failure1, failure2, later) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        saga.DeferFailure(failure1);
        saga.DeferReassignment(Guid.NewGuid(), Guid.NewGuid());
        saga.DeferRefresh(Guid.NewGuid(), TokenRefreshReason.Reconcile, null);
        var removal = Guid.NewGuid();
        saga.DeferRefresh(removal, TokenRefreshReason.Removal, Guid.NewGuid());
        saga.DeferRefresh(Guid.NewGuid(), TokenRefreshReason.Rollover, Guid.NewGuid());
        saga.DeferFailure(failure2);
        saga.DeferReassignment(later, null);

        Assert.Equal([failure1, failure2], saga.PendingFailureIds);
        Assert.Equal((later, (Guid?)null), saga.TakeReassignment());
        Assert.Null(saga.TakeReassignment());
        Assert.Equal((removal, TokenRefreshReason.Removal), saga.TakeRefresh() is { } refresh ? (refresh.CausationId, refresh.Reason) : default);
        Assert.True(saga.HasPending);
    }

    static AgentTokenRefreshRequested Rollover(AgentCredentialState saga, Subscription subscription) => new()
    {
        AgentName = saga.AgentName, SubscriptionId = subscription.Id, KeyVersion = subscription.KeyVersion, Reason = TokenRefreshReason.Rollover, CausationId = Guid.NewGuid(),
    };
}
