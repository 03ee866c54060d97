using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Rotations;

/// <summary>
/// What the agent's state machine asks when a trigger arrives: the machine says when, the decisions say what,
/// and return the state the agent is in afterwards. The seam lets the machine's wiring be specified on the
/// in-memory harness; the decisions themselves have specs of their own on real PostgreSQL and Redis.
/// </summary>
public interface IRotationDecisions
{
    Task<NextState> OnFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure, CancellationToken cancellationToken);
    Task<NextState> OnReassignmentAsync(AgentCredentialState saga, SubscriptionReassignmentRequested request, CancellationToken cancellationToken);
    Task<NextState> OnRefreshAsync(AgentCredentialState saga, AgentTokenRefreshRequested refresh, CancellationToken cancellationToken);

    /// <summary>A failure that arrives mid-rotation: recorded, and either stale or kept for when the rotation ends.</summary>
    Task DeferFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure);

    /// <summary>Once a rotation has ended: decides the request that waited for it, if any.</summary>
    Task<NextState> ApplyPendingAsync(AgentCredentialState saga, CancellationToken cancellationToken);
}
