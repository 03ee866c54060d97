using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.Tests.Decisions;

/// <summary>Design §4 rules 2–5 and 7 (docs/design.md), decided on real PostgreSQL and Redis without a broker.</summary>
public sealed class Deciding_a_failure(OrchestratorStores stores) : DecisionSpecs(stores), IClassFixture<OrchestratorStores>
{
    [Fact]
    public Task A_failure_of_the_current_subscription_assigns_the_alternative_with_a_new_fence_and_sends_a_reload() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        var failure = Decision.Failure(saga, about: a);

        Assert.Equal(NextState.Reloading, await d.Decisions.OnFailureAsync(saga, failure, default));

        var agent = d.Agent(saga);
        Assert.Equal((b.Id, 1L), (agent.SubscriptionId, agent.FencingToken));
        var rotation = d.Rotation(saga)!;
        Assert.Equal((SwitchTrigger.AutoSwitch, SwitchMethod.HotReload, RotationOutcome.InProgress), (rotation.Trigger, rotation.Method, rotation.Outcome));
        Assert.Equal((a.Id, b.Id, b.TokenFingerprint, 1L), (rotation.FromSubscriptionId, rotation.ToSubscriptionId, rotation.ExpectedFingerprint, rotation.FencingToken));
        var (reload, destination) = Assert.Single(d.Staged<ReloadToken>());
        Assert.Equal((rotation.Id, b.Id, 1L), (reload.RotationId, reload.SubscriptionId, reload.FencingToken));
        Assert.Equal("exchange:trinity.rotation-worker", destination);
        Assert.Equal((rotation.Id, b.TokenFingerprint, 1L), (saga.RotationId, saga.ExpectedFingerprint, saga.FencingToken));
        Assert.NotNull(saga.DeadlineAt);
        Assert.Equal($"switched to {b.Name}", d.FailureRecord(failure).Decision);
        Assert.Equal(rotation.Id.ToString(), await d.LeaseOwnerAsync(saga));
    });

    [Fact]
    public Task A_failure_about_a_subscription_the_agent_has_left_is_stale_and_moves_nothing() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        await d.SubscriptionAsync("c");
        var saga = await d.AgentAsync(on: b);
        var failure = Decision.Failure(saga, about: a);

        Assert.Equal(NextState.Idle, await d.Decisions.OnFailureAsync(saga, failure, default));

        Assert.Equal((b.Id, 0L), (d.Agent(saga).SubscriptionId, d.Agent(saga).FencingToken));
        Assert.Null(d.Rotation(saga));
        Assert.Empty(d.Staged<ReloadToken>());
        Assert.StartsWith("stale: the agent is on", d.FailureRecord(failure).Decision, StringComparison.Ordinal);
        Assert.Null(await d.LeaseOwnerAsync(saga));
    });

    [Fact]
    public Task With_no_viable_alternative_the_agent_stays_and_exhaustion_is_published() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var bFailedAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds());
        d.Db.Failures.Add(new FailureRecord { Id = Guid.NewGuid(), AgentName = "someone-else", SubscriptionId = b.Id, Kind = FailureKind.RateLimited, Source = FailureSource.Chat, OccurredAt = bFailedAt, RecordedAt = DateTimeOffset.UtcNow });
        var saga = await d.AgentAsync(on: a);
        var failure = Decision.Failure(saga, about: a);

        Assert.Equal(NextState.Idle, await d.Decisions.OnFailureAsync(saga, failure, default));

        Assert.Equal(a.Id, d.Agent(saga).SubscriptionId);
        var (exhausted, destination) = Assert.Single(d.Staged<AgentSubscriptionsExhausted>());
        Assert.Equal((saga.AgentName, a.Id, null), (exhausted.AgentName, exhausted.FailedSubscriptionId, destination));
        Assert.StartsWith("exhausted: no viable alternative; looked at again at", d.FailureRecord(failure).Decision, StringComparison.Ordinal);
        Assert.Null(await d.LeaseOwnerAsync(saga));
        // Looked at again when B's two-hour cooldown ends (design §4 rule 4), without another report.
        Assert.Equal((bFailedAt.AddHours(2), failure.FailureId), (saga.RecheckAt!.Value, saga.RecheckFailureId!.Value));
    });

    [Fact]
    public Task A_redelivered_failure_is_not_decided_twice() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        var failure = Decision.Failure(saga, about: a);
        await d.Decisions.OnFailureAsync(saga, failure, default);
        var decided = d.FailureRecord(failure).Decision;

        Assert.Equal(NextState.Idle, await d.Decisions.OnFailureAsync(saga, failure, default));
        Assert.Single(d.Staged<ReloadToken>());
        Assert.Equal(1L, d.Agent(saga).FencingToken);
        Assert.Equal(decided, d.FailureRecord(failure).Decision);
        Assert.Equal(saga.RotationId.ToString(), await d.LeaseOwnerAsync(saga));
    });

    [Fact]
    public Task A_failure_of_an_unregistered_agent_is_recorded_and_ignored() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        await d.SubscriptionAsync("b");
        var saga = new Infrastructure.Persistence.Sagas.AgentCredentialState { CorrelationId = Guid.NewGuid(), AgentName = OrchestratorStores.NewAgentName("ghost") };
        var failure = Decision.Failure(saga, about: a);

        // Nothing of an unregistered agent is worth remembering: its instance ends.
        Assert.Equal(NextState.Gone, await d.Decisions.OnFailureAsync(saga, failure, default));
        Assert.Equal("ignored: unknown agent", d.FailureRecord(failure).Decision);
        Assert.Empty(d.Staged<ReloadToken>());
        Assert.Null(await d.LeaseOwnerAsync(saga));
    });

    [Fact]
    public Task The_agent_is_judged_by_its_row_read_inside_the_lease_not_by_what_the_state_remembers() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        await d.SubscriptionAsync("c");
        var saga = await d.AgentAsync(on: b);
        saga.AppliedSubscriptionId = a.Id;
        var aboutWhatTheStateRemembers = Decision.Failure(saga, about: a);
        var aboutTheRow = Decision.Failure(saga, about: b);

        Assert.Equal(NextState.Idle, await d.Decisions.OnFailureAsync(saga, aboutWhatTheStateRemembers, default));
        Assert.Equal(NextState.Reloading, await d.Decisions.OnFailureAsync(saga, aboutTheRow, default));
        Assert.StartsWith("stale", d.FailureRecord(aboutWhatTheStateRemembers).Decision, StringComparison.Ordinal);
        Assert.Equal(b.Id, d.Rotation(saga)!.FromSubscriptionId);
    });

    [Fact]
    public Task While_another_actor_holds_the_lease_nothing_is_decided_and_the_message_waits() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        Assert.True(await Stores.HoldLeaseAsync(saga.AgentName, "a-container-manager", TimeSpan.FromSeconds(30)));

        await Assert.ThrowsAsync<AgentLeaseUnavailableException>(() => d.Decisions.OnFailureAsync(saga, Decision.Failure(saga, about: a), default));
        Assert.Equal((a.Id, 0L), (d.Agent(saga).SubscriptionId, d.Agent(saga).FencingToken));
        Assert.Empty(d.Staged<ReloadToken>());
        Assert.Null(saga.RotationId);
    });

    [Fact]
    public Task Mid_rotation_the_rest_of_the_burst_is_stale_and_a_failure_of_the_new_subscription_waits() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        await d.SubscriptionAsync("c");
        var saga = await d.AgentAsync(on: a);
        await d.Decisions.OnFailureAsync(saga, Decision.Failure(saga, about: a), default);

        var sibling = Decision.Failure(saga, about: a);
        await d.Decisions.DeferFailureAsync(saga, sibling);
        var ofTheNewOne = Decision.Failure(saga, about: b);
        await d.Decisions.DeferFailureAsync(saga, ofTheNewOne);

        Assert.StartsWith($"stale: rotation {saga.RotationId}", d.FailureRecord(sibling).Decision, StringComparison.Ordinal);
        Assert.Null(d.FailureRecord(ofTheNewOne).Decision);
        Assert.Equal([ofTheNewOne.FailureId], saga.PendingFailureIds);
        Assert.Single(d.Staged<ReloadToken>());
    });
}
