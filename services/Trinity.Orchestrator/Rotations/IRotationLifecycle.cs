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
    Task FailAsync(AgentCredentialState saga, RotationFailureReason reason, string? detail, CancellationToken cancellationToken);
    Task RecordLateAnswerAsync(Guid rotationId, RotationFailureReason reason, string? detail, CancellationToken cancellationToken);
    Task CompleteRemovalAsync(AgentCredentialState saga, AgentContainerRemoved removed, CancellationToken cancellationToken);
    Task FollowFallbackAsync(AgentCredentialState saga, TokenReloadFellBack fellBack, CancellationToken cancellationToken);
}
