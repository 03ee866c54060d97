using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Services;

/// <summary>
/// What the agent's state machine asks of its decisions. The machine says when; the planner says what (and
/// leaves <see cref="AgentCredentialState.RotationMethod"/> set when it started a rotation). The seam lets the
/// machine's wiring be specified on the in-memory harness; the real planner is proven on real services.
/// </summary>
public interface IRotationPlanner
{
    Task HandleFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure, CancellationToken cancellationToken);
    Task HandleReassignmentAsync(AgentCredentialState saga, SubscriptionReassignmentRequested request, CancellationToken cancellationToken);
    Task HandleRefreshAsync(AgentCredentialState saga, AgentTokenRefreshRequested refresh, CancellationToken cancellationToken);
    Task DeferFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure);
    Task CompleteAsync(AgentCredentialState saga, SwitchMethod method, string? observedFingerprint, CancellationToken cancellationToken, string? detail = null);
    Task FailAsync(AgentCredentialState saga, RotationFailureReason reason, string? detail, CancellationToken cancellationToken);
    Task RecordFailureAsync(Guid rotationId, RotationFailureReason reason, string? detail, CancellationToken cancellationToken);
    Task FollowFallbackAsync(AgentCredentialState saga, TokenReloadFellBack fellBack);
}
