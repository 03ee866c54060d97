using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Rotations;

/// <summary>
/// What the agent's state machine asks of the rotation in flight: end it with its outcome, or follow the worker's
/// fallback to a recreate. Ending releases the lease and clears the rotation from the state; the machine then
/// asks <see cref="IRotationDecisions.ApplyPendingAsync"/> what comes next.
/// </summary>
public interface IRotationLifecycle
{
    Task CompleteAsync(AgentCredentialState saga, SwitchMethod method, string? observedFingerprint, string? detail, CancellationToken cancellationToken);
    /// <summary>
    /// The agent answered the reload: observed when it reports the fingerprint it runs (a different one fails the
    /// rotation), else its override file is read first where it has a container, else acknowledged.
    /// </summary>
    /// <returns>True when the rotation ended; false while the container manager reads the override file.</returns>
    Task<bool> ConfirmReloadAsync(AgentCredentialState saga, string? reportedFingerprint, CancellationToken cancellationToken);

    /// <summary>The override file was read: observed by its fingerprint, acknowledged when it holds none; a different one fails the rotation.</summary>
    Task ConfirmByOverrideFileAsync(AgentCredentialState saga, OverrideFileRead read, CancellationToken cancellationToken);

    Task FailAsync(AgentCredentialState saga, RotationFailureReason reason, string? detail, CancellationToken cancellationToken);
    Task RecordLateAnswerAsync(Guid rotationId, RotationFailureReason reason, string? detail, CancellationToken cancellationToken);
    Task CompleteRemovalAsync(AgentCredentialState saga, AgentContainerRemoved removed, CancellationToken cancellationToken);
    Task FollowFallbackAsync(AgentCredentialState saga, TokenReloadFellBack fellBack, CancellationToken cancellationToken);
}
