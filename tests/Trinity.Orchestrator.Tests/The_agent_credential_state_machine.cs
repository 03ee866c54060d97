using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;
using Trinity.Orchestrator.StateMachines;

namespace Trinity.Orchestrator.Tests;

/// <summary>
/// Fast specs of the machine's wiring on MassTransit's in-memory harness: which state follows which event, and
/// what is asked of the decisions and the rotation lifecycle. The decisions themselves have specs on real
/// PostgreSQL and Redis (<see cref="Decisions.Deciding_a_failure"/> and its neighbours).
/// </summary>
public sealed class The_agent_credential_state_machine : IAsyncLifetime
{
    const string Agent = "alpha";
    static readonly Guid AgentId = AgentIdentity.For(Agent);
    readonly ScriptedRotations _rotations = new();
    ServiceProvider _provider = null!;
    ITestHarness _harness = null!;
    ISagaStateMachineTestHarness<AgentCredentialStateMachine, AgentCredentialState> _saga = null!;

    public async Task InitializeAsync()
    {
        _provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IRotationDecisions>(_rotations)
            .AddSingleton<IRotationLifecycle>(_rotations)
            .AddMassTransitTestHarness(bus => bus.AddSagaStateMachine<AgentCredentialStateMachine, AgentCredentialState>().InMemoryRepository())
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
        _saga = _harness.GetSagaStateMachineHarness<AgentCredentialStateMachine, AgentCredentialState>();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    AgentCredentialStateMachine Machine => _saga.StateMachine;

    static SubscriptionFailureReported Failure(Guid subscriptionId) => new()
    {
        FailureId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = subscriptionId, Kind = FailureKind.RateLimited, Source = FailureSource.Chat, OccurredAt = DateTimeOffset.UtcNow,
    };

    async Task<AgentCredentialState> InState(State state)
    {
        Assert.NotNull(await _saga.Exists(AgentId, _ => state));
        return _saga.Sagas.Contains(AgentId);
    }

    async Task<AgentCredentialState> Reloading()
    {
        await _harness.Bus.Publish(Failure(Guid.NewGuid()));
        return await InState(Machine.Reloading);
    }

    async Task Consumed<T>(Func<T, bool> which)
        where T : class => Assert.True(await _saga.Consumed.Any<T>(m => which(m.Context.Message)));

    [Fact]
    public async Task A_failure_that_starts_a_rotation_moves_a_new_agent_to_reloading()
    {
        var saga = await Reloading();
        Assert.Equal(Agent, saga.AgentName);
        Assert.Equal(["OnFailureAsync"], _rotations.Calls);
    }

    [Fact]
    public async Task A_failure_decided_without_a_rotation_leaves_the_agent_idle()
    {
        _rotations.FailuresStartRotations = false;
        await _harness.Bus.Publish(Failure(Guid.NewGuid()));
        await InState(Machine.Idle);
    }

    [Fact]
    public async Task The_expected_fingerprint_completes_the_rotation_by_hot_reload()
    {
        var saga = await Reloading();
        await _harness.Bus.Publish(new TokenReloaded { RotationId = saga.RotationId!.Value, AgentName = Agent, TokenFingerprint = "0123456789ab" });
        await InState(Machine.Idle);
        Assert.Contains("CompleteAsync:HotReload", _rotations.Calls);
    }

    [Fact]
    public async Task Another_fingerprint_fails_the_rotation()
    {
        var saga = await Reloading();
        await _harness.Bus.Publish(new TokenReloaded { RotationId = saga.RotationId!.Value, AgentName = Agent, TokenFingerprint = "ffffffffffff" });
        await InState(Machine.Idle);
        Assert.Contains("FailAsync:FingerprintMismatch", _rotations.Calls);
    }

    [Fact]
    public async Task A_reload_without_a_fingerprint_waits_for_the_override_file_and_is_no_mismatch()
    {
        var rotation = (await Reloading()).RotationId!.Value;
        await _harness.Bus.Publish(new TokenReloaded { RotationId = rotation, AgentName = Agent, TokenFingerprint = null });
        await Consumed<TokenReloaded>(m => m.RotationId == rotation);
        await InState(Machine.Reloading);
        await _harness.Bus.Publish(new OverrideFileRead { RotationId = rotation, AgentName = Agent, TokenFingerprint = "0123456789ab" });
        await InState(Machine.Idle);
        Assert.Equal(["OnFailureAsync", "ConfirmReloadAsync:ReadOverrideFile", "CompleteAsync:HotReload"], _rotations.Calls);
    }

    [Fact]
    public async Task An_override_file_of_another_token_fails_the_rotation()
    {
        var rotation = (await Reloading()).RotationId!.Value;
        await _harness.Bus.Publish(new TokenReloaded { RotationId = rotation, AgentName = Agent });
        await Consumed<TokenReloaded>(m => m.RotationId == rotation);
        await _harness.Bus.Publish(new OverrideFileRead { RotationId = rotation, AgentName = Agent, TokenFingerprint = "ffffffffffff" });
        await InState(Machine.Idle);
        Assert.Contains("FailAsync:FingerprintMismatch", _rotations.Calls);
    }

    [Fact]
    public async Task An_answer_for_another_rotation_changes_nothing()
    {
        await Reloading();
        var stray = Guid.NewGuid();
        await _harness.Bus.Publish(new TokenReloaded { RotationId = stray, AgentName = Agent, TokenFingerprint = "0123456789ab" });
        await Consumed<TokenReloaded>(m => m.RotationId == stray);
        await InState(Machine.Reloading);
        Assert.Equal(["OnFailureAsync"], _rotations.Calls);
    }

    [Fact]
    public async Task A_fallback_then_the_recreate_completes_it_by_recreate()
    {
        var rotation = (await Reloading()).RotationId!.Value;
        await _harness.Bus.Publish(new TokenReloadFellBack { RotationId = rotation, AgentName = Agent, Reason = FallbackReason.EndpointMissing, DrainTimeout = TimeSpan.FromMinutes(1) });
        await InState(Machine.Recreating);
        await _harness.Bus.Publish(new ContainerRecreated { RotationId = rotation, AgentName = Agent, OldContainerId = "old", NewContainerId = "new", TurnsOutlivingDrain = 0 });
        await InState(Machine.Idle);
        Assert.Equal(["OnFailureAsync", "FollowFallbackAsync", "CompleteAsync:Recreate"], _rotations.Calls);
    }

    [Fact]
    public async Task The_recreate_answer_arriving_before_the_fallback_notice_completes_it_too()
    {
        var rotation = (await Reloading()).RotationId!.Value;
        await _harness.Bus.Publish(new ContainerRecreateSkipped { RotationId = rotation, AgentName = Agent, Reason = RecreateSkipReason.NotRunning });
        await InState(Machine.Idle);
        await _harness.Bus.Publish(new TokenReloadFellBack { RotationId = rotation, AgentName = Agent, Reason = FallbackReason.Unreachable, DrainTimeout = TimeSpan.FromMinutes(1) });
        await Consumed<TokenReloadFellBack>(m => m.RotationId == rotation);
        await InState(Machine.Idle);
        Assert.Equal(["OnFailureAsync", "CompleteAsync:Skipped"], _rotations.Calls);
    }

    [Fact]
    public async Task What_arrives_mid_rotation_is_deferred_not_decided()
    {
        await Reloading();
        await _harness.Bus.Publish(Failure(Guid.NewGuid()));
        await _harness.Bus.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = Guid.NewGuid(), RequestedBy = "operator" });
        await Consumed<SubscriptionReassignmentRequested>(_ => true);
        await Consumed<SubscriptionFailureReported>(_ => _rotations.Calls.Contains("DeferFailureAsync"));
        var saga = await InState(Machine.Reloading);
        Assert.NotNull(saga.PendingReassignmentId);
        Assert.Equal(1, _rotations.Calls.Count(c => c == "OnFailureAsync"));
    }

    [Fact]
    public async Task A_request_that_waited_starts_the_next_rotation_once_the_first_ends()
    {
        var first = (await Reloading()).RotationId!.Value;
        await _harness.Bus.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = Guid.NewGuid(), RequestedBy = "operator" });
        await Consumed<SubscriptionReassignmentRequested>(_ => true);
        await _harness.Bus.Publish(new TokenReloaded { RotationId = first, AgentName = Agent, TokenFingerprint = "0123456789ab" });
        await Consumed<TokenReloaded>(m => m.RotationId == first);
        var saga = await InState(Machine.Reloading);
        Assert.NotEqual(first, saga.RotationId);
        Assert.Equal(["OnFailureAsync", "CompleteAsync:HotReload", "ApplyPendingAsync:Reassignment"], _rotations.Calls);
    }

    [Fact]
    public async Task A_change_of_auth_mode_waits_for_the_recreate_and_a_deadline_fails_it()
    {
        await _harness.Bus.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = null, RequestedBy = "operator" });
        var rotation = (await InState(Machine.Recreating)).RotationId!.Value;
        await _harness.Bus.Publish(new RotationDeadlinePassed { RotationId = rotation, AgentName = Agent, Deadline = DateTimeOffset.UtcNow });
        await InState(Machine.Idle);
        Assert.Contains("FailAsync:DeadlinePassed", _rotations.Calls);
    }

    [Fact]
    public async Task A_late_refusal_of_an_ended_rotation_is_kept_in_its_history()
    {
        var rotation = (await Reloading()).RotationId!.Value;
        await _harness.Bus.Publish(new TokenRotationFailed { RotationId = rotation, AgentName = Agent, Reason = RotationFailureReason.Rejected });
        await InState(Machine.Idle);
        await _harness.Bus.Publish(new TokenRotationFailed { RotationId = rotation, AgentName = Agent, Reason = RotationFailureReason.FencingTokenStale });
        await Consumed<TokenRotationFailed>(m => m.Reason == RotationFailureReason.FencingTokenStale);
        Assert.Contains("RecordLateAnswerAsync:FencingTokenStale", _rotations.Calls);
    }

    [Fact]
    public async Task A_deleted_agent_waits_for_its_container_to_go_then_its_instance_ends()
    {
        await _harness.Bus.Publish(AgentTokenRefreshRequested.ToDatabaseView(Agent, TokenRefreshReason.AgentDeleted, Guid.NewGuid()));
        var rotation = (await InState(Machine.Removing)).RotationId!.Value;
        await _harness.Bus.Publish(Failure(Guid.NewGuid()));
        await Consumed<SubscriptionFailureReported>(_ => true);
        Assert.Contains("DeferFailureAsync", _rotations.Calls);

        await _harness.Bus.Publish(new AgentContainerRemoved { RotationId = rotation, AgentName = Agent, ContainerId = "c0ffee", TurnsOutlivingDrain = 0 });
        Assert.Null(await _saga.NotExists(AgentId)); // null: gone before the timeout
        Assert.Contains("CompleteRemovalAsync", _rotations.Calls);
    }

    [Fact]
    public async Task A_removal_that_fails_leaves_the_deleted_agent_idle_for_the_reconciler_to_try_again()
    {
        await _harness.Bus.Publish(AgentTokenRefreshRequested.ToDatabaseView(Agent, TokenRefreshReason.AgentDeleted, Guid.NewGuid()));
        var rotation = (await InState(Machine.Removing)).RotationId!.Value;
        await _harness.Bus.Publish(new TokenRotationFailed { RotationId = rotation, AgentName = Agent, Reason = RotationFailureReason.RemovalFailed });
        await InState(Machine.Idle);
        Assert.Contains("FailAsync:RemovalFailed", _rotations.Calls);
    }
}
