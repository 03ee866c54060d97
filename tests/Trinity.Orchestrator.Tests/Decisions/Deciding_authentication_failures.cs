using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.Tests.Decisions;

/// <summary>
/// Design §4 rule 4: an authentication failure of the current key disables its subscription (a revoked token does
/// not heal in two hours); one about a key since rolled over changes nothing; a 503 or a rate limit only cools down.
/// </summary>
public sealed class Deciding_authentication_failures(OrchestratorStores stores) : DecisionSpecs(stores), IClassFixture<OrchestratorStores>
{
    [Fact]
    public Task A_401_of_the_current_key_disables_the_subscription_moves_the_agent_off_and_tells_the_others() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        var failure = await d.ReportedAsync(Decision.Failure(saga, about: a, FailureKind.AuthenticationFailed, keyVersion: 1), statusCode: 401);

        Assert.Equal(NextState.Reloading, await d.Decisions.OnFailureAsync(saga, failure, default));

        Assert.NotNull(a.DisabledAt);
        Assert.Equal(failure.FailureId, a.DisabledByFailureId);
        Assert.Contains("(401) of key version 1", a.DisabledReason, StringComparison.Ordinal);
        Assert.Equal(a.Id, Assert.Single(d.Staged<SubscriptionDisabled>()).Message.SubscriptionId);
        Assert.Equal(b.Id, d.Agent(saga).SubscriptionId);
        Assert.Equal($"disabled {a.Name}: switched to {b.Name}", d.FailureRecord(failure).Decision);
    });

    [Fact]
    public Task A_503_only_cools_the_subscription_down() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        var failure = await d.ReportedAsync(Decision.Failure(saga, about: a, FailureKind.AuthenticationFailed, keyVersion: 1), statusCode: 503);

        Assert.Equal(NextState.Reloading, await d.Decisions.OnFailureAsync(saga, failure, default));

        Assert.Null(a.DisabledAt);
        Assert.Empty(d.Staged<SubscriptionDisabled>());
        Assert.Equal($"switched to {b.Name}", d.FailureRecord(failure).Decision);
    });

    [Fact]
    public Task A_late_authentication_failure_about_a_rolled_over_key_neither_switches_nor_cools_down() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a", keyVersion: 2);
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        var late = await d.ReportedAsync(Decision.Failure(saga, about: a, FailureKind.AuthenticationFailed, keyVersion: 1), statusCode: 401);

        Assert.Equal(NextState.Idle, await d.Decisions.OnFailureAsync(saga, late, default));
        Assert.Equal("stale: about key version 1; the subscription runs version 2 now", d.FailureRecord(late).Decision);
        Assert.Null(a.DisabledAt);
        Assert.Equal(a.Id, d.Agent(saga).SubscriptionId);
        Assert.Null(await d.LeaseOwnerAsync(saga));

        // A is still an alternative for an agent of B that fails: the late report held no cooldown.
        var other = await d.AgentAsync(on: b);
        Assert.Equal(NextState.Reloading, await d.Decisions.OnFailureAsync(other, Decision.Failure(other, about: b), default));
        Assert.Equal(a.Id, d.Agent(other).SubscriptionId);
    });

    [Fact]
    public Task A_disabled_subscription_is_never_chosen_and_a_reassignment_to_it_is_refused() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var disabled = await d.SubscriptionAsync("b");
        disabled.DisabledAt = DateTimeOffset.UtcNow;
        disabled.DisabledReason = "AuthenticationFailed (401) of key version 1";
        await d.Db.SaveChangesAsync();
        var saga = await d.AgentAsync(on: a);

        Assert.Equal(NextState.Idle, await d.Decisions.OnFailureAsync(saga, Decision.Failure(saga, about: a), default));
        Assert.Single(d.Staged<AgentSubscriptionsExhausted>());
        Assert.Null(saga.RecheckAt);

        Assert.Equal(NextState.Idle, await d.Decisions.OnReassignmentAsync(saga, new SubscriptionReassignmentRequested
        {
            RequestId = Guid.NewGuid(), AgentName = saga.AgentName, SubscriptionId = disabled.Id, RequestedBy = "operator",
        }, default));
        Assert.Contains("is disabled", d.Rotation(saga)!.OutcomeDetail, StringComparison.Ordinal);
        Assert.Equal(a.Id, d.Agent(saga).SubscriptionId);
    });

    [Fact]
    public Task With_nowhere_to_go_a_revoked_token_does_not_stay_live_the_agent_leaves_subscription_mode() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var saga = await d.AgentAsync(on: a);
        var failure = await d.ReportedAsync(Decision.Failure(saga, about: a, FailureKind.AuthenticationFailed, keyVersion: 1), statusCode: 403);

        Assert.Equal(NextState.Recreating, await d.Decisions.OnFailureAsync(saga, failure, default));

        Assert.NotNull(a.DisabledAt);
        Assert.Null(d.Agent(saga).SubscriptionId);
        Assert.Single(d.Staged<RecreateContainer>());
        Assert.Single(d.Staged<AgentSubscriptionsExhausted>());
        Assert.Equal($"disabled {a.Name}: no alternative: leaving subscription mode", d.FailureRecord(failure).Decision);
    });
}
