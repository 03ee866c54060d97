using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.Tests.Decisions;

/// <summary>
/// What a review found after design §4 rules 6, 8 and 10 were built: a request that waited and is refused, or found
/// needless, must not strand the ones behind it; a report or request that is not acted on must not reset the back-off;
/// and an agent out of sync with no subscription must be brought back, not asked again for nothing.
/// </summary>
public sealed class Requests_that_are_refused_or_needless(OrchestratorStores stores) : DecisionSpecs(stores), IClassFixture<OrchestratorStores>
{
    [Fact]
    public Task A_reassignment_that_waited_and_is_refused_does_not_strand_the_refresh_behind_it() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a", keyVersion: 2);
        var removed = await d.SubscriptionAsync("removed");
        removed.DeletedAt = DateTimeOffset.UtcNow;
        await d.Db.SaveChangesAsync();
        var saga = await d.AgentAsync(on: a);
        saga.AppliedKeyVersion = 1;
        saga.DeferReassignment(Guid.NewGuid(), removed.Id);
        saga.DeferRefresh(Guid.NewGuid(), TokenRefreshReason.Rollover, a.Id);

        Assert.Equal(NextState.Reloading, await d.Decisions.ApplyPendingAsync(saga, default));

        Assert.False(saga.HasPending);
        Assert.Equal((SwitchTrigger.Rollover, 2), (saga.RotationTrigger, Assert.Single(d.Staged<ReloadToken>()).Message.KeyVersion));
    });

    [Fact]
    public Task An_agent_out_of_sync_with_no_subscription_is_recreated_to_the_databases_view_not_asked_again_for_nothing() => Within(async d =>
    {
        var saga = await d.AgentAsync(on: null);
        saga.AppliedSubscriptionId = null;
        saga.OutOfSync = true;

        var next = await d.Decisions.OnRefreshAsync(saga, new AgentTokenRefreshRequested
        {
            AgentName = saga.AgentName, SubscriptionId = Guid.Empty, KeyVersion = 0, Reason = TokenRefreshReason.Reconcile, CausationId = Guid.NewGuid(),
        }, default);

        Assert.Equal(NextState.Recreating, next);
        Assert.Single(d.Staged<RecreateContainer>());
    });

    [Fact]
    public Task Stale_reports_and_refused_reassignments_do_not_reset_the_back_off() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var removed = await d.SubscriptionAsync("removed");
        removed.DeletedAt = DateTimeOffset.UtcNow;
        await d.Db.SaveChangesAsync();
        var saga = await d.AgentAsync(on: a);
        saga.Failed("Rejected: 401", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1));
        saga.Failed("Rejected: 401", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1));

        Assert.Equal(NextState.Idle, await d.Decisions.OnFailureAsync(saga, Decision.Failure(saga, about: b), default));
        Assert.Equal(NextState.Idle, await d.Decisions.OnReassignmentAsync(saga, Reassign(saga, to: removed), default));

        Assert.Equal(2, saga.FailedAttempts);
        Assert.NotNull(saga.NextAttemptAt);
    });
}
