using System.Collections.Concurrent;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.Tests;

/// <summary>
/// Stands in for the decisions and the rotation lifecycle so the state machine's wiring can be specified in
/// memory: it records what it was asked, leaves the state as the real ones would after the decision the spec
/// chose, and answers with the state that follows.
/// </summary>
public sealed class ScriptedRotations : IRotationDecisions, IRotationLifecycle
{
    public bool FailuresStartRotations { get; set; } = true;
    public ConcurrentQueue<string> Calls { get; } = new();

    public Task<NextState> OnFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure, CancellationToken cancellationToken)
    {
        Calls.Enqueue(nameof(OnFailureAsync));
        return Task.FromResult(FailuresStartRotations ? Start(saga, SwitchMethod.HotReload, failure.SubscriptionId) : NextState.Idle);
    }

    public Task<NextState> OnReassignmentAsync(AgentCredentialState saga, SubscriptionReassignmentRequested request, CancellationToken cancellationToken)
    {
        Calls.Enqueue(nameof(OnReassignmentAsync));
        return Task.FromResult(Start(saga, request.SubscriptionId is null ? SwitchMethod.Recreate : SwitchMethod.HotReload, null));
    }

    public Task<NextState> OnRefreshAsync(AgentCredentialState saga, AgentTokenRefreshRequested refresh, CancellationToken cancellationToken)
    {
        Calls.Enqueue(nameof(OnRefreshAsync));
        return Task.FromResult(Start(saga, refresh.Reason == TokenRefreshReason.AgentDeleted ? SwitchMethod.Removed : SwitchMethod.HotReload, refresh.SubscriptionId));
    }

    public Task DeferFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure)
    {
        Calls.Enqueue(nameof(DeferFailureAsync));
        return Task.CompletedTask;
    }

    /// <summary>A reassignment that waited starts the next rotation, as the real decisions would; anything else settles idle.</summary>
    public Task<NextState> ApplyPendingAsync(AgentCredentialState saga, CancellationToken cancellationToken)
    {
        if (saga.TakeReassignment() is not null)
        {
            Calls.Enqueue($"{nameof(ApplyPendingAsync)}:Reassignment");
            return Task.FromResult(Start(saga, SwitchMethod.HotReload, null));
        }
        return Task.FromResult(NextState.Idle);
    }

    public Task CompleteAsync(AgentCredentialState saga, SwitchMethod method, string? observedFingerprint, string? detail, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"{nameof(CompleteAsync)}:{method}");
        saga.End(DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    /// <summary>As the real lifecycle: a reported fingerprint ends the rotation (a different one fails it); none waits for the override file.</summary>
    public async Task<bool> ConfirmReloadAsync(AgentCredentialState saga, string? reportedFingerprint, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(reportedFingerprint))
        {
            Calls.Enqueue($"{nameof(ConfirmReloadAsync)}:ReadOverrideFile");
            return false;
        }
        await ConfirmAsync(saga, reportedFingerprint, cancellationToken);
        return true;
    }

    public Task ConfirmByOverrideFileAsync(AgentCredentialState saga, OverrideFileRead read, CancellationToken cancellationToken) =>
        read.TokenFingerprint is { Length: > 0 } fingerprint ? ConfirmAsync(saga, fingerprint, cancellationToken) : CompleteAsync(saga, SwitchMethod.HotReload, null, read.Detail, cancellationToken);

    Task ConfirmAsync(AgentCredentialState saga, string fingerprint, CancellationToken cancellationToken) =>
        fingerprint == saga.ExpectedFingerprint
            ? CompleteAsync(saga, SwitchMethod.HotReload, fingerprint, null, cancellationToken)
            : FailAsync(saga, RotationFailureReason.FingerprintMismatch, null, cancellationToken);

    public Task CompleteRemovalAsync(AgentCredentialState saga, AgentContainerRemoved removed, CancellationToken cancellationToken)
    {
        Calls.Enqueue(nameof(CompleteRemovalAsync));
        saga.End(DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    public Task FailAsync(AgentCredentialState saga, RotationFailureReason reason, string? detail, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"{nameof(FailAsync)}:{reason}");
        saga.End(DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    public Task RecordLateAnswerAsync(Guid rotationId, RotationFailureReason reason, string? detail, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"{nameof(RecordLateAnswerAsync)}:{reason}");
        return Task.CompletedTask;
    }

    public Task FollowFallbackAsync(AgentCredentialState saga, TokenReloadFellBack fellBack, CancellationToken cancellationToken)
    {
        Calls.Enqueue(nameof(FollowFallbackAsync));
        saga.RotationMethod = SwitchMethod.Recreate;
        return Task.CompletedTask;
    }

    static NextState Start(AgentCredentialState saga, SwitchMethod method, Guid? from)
    {
        saga.RotationId = Guid.NewGuid();
        saga.RotationMethod = method;
        saga.FromSubscriptionId = from;
        saga.ExpectedFingerprint = "0123456789ab";
        return method switch
        {
            SwitchMethod.HotReload => NextState.Reloading,
            SwitchMethod.Removed => NextState.Removing,
            _ => NextState.Recreating,
        };
    }
}
