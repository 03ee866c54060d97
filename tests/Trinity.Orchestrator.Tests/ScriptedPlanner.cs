using System.Collections.Concurrent;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Services;

namespace Trinity.Orchestrator.Tests;

/// <summary>
/// Stands in for the planner's decisions so the state machine's wiring can be specified in memory: it records
/// what it was asked and leaves the saga as the real planner would after the decision the spec chose.
/// </summary>
public sealed class ScriptedPlanner : IRotationPlanner
{
    public bool FailuresStartRotations { get; set; } = true;
    public ConcurrentQueue<string> Calls { get; } = new();

    public Task HandleFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure, CancellationToken cancellationToken)
    {
        Calls.Enqueue(nameof(HandleFailureAsync));
        if (FailuresStartRotations)
            Start(saga, SwitchMethod.HotReload, failure.SubscriptionId);
        return Task.CompletedTask;
    }

    public Task HandleReassignmentAsync(AgentCredentialState saga, SubscriptionReassignmentRequested request, CancellationToken cancellationToken)
    {
        Calls.Enqueue(nameof(HandleReassignmentAsync));
        Start(saga, request.SubscriptionId is null ? SwitchMethod.Recreate : SwitchMethod.HotReload, null);
        return Task.CompletedTask;
    }

    public Task HandleRefreshAsync(AgentCredentialState saga, AgentTokenRefreshRequested refresh, CancellationToken cancellationToken)
    {
        Calls.Enqueue(nameof(HandleRefreshAsync));
        Start(saga, SwitchMethod.HotReload, refresh.SubscriptionId);
        return Task.CompletedTask;
    }

    public Task DeferFailureAsync(AgentCredentialState saga, SubscriptionFailureReported failure)
    {
        Calls.Enqueue(nameof(DeferFailureAsync));
        return Task.CompletedTask;
    }

    public Task CompleteAsync(AgentCredentialState saga, SwitchMethod method, string? observedFingerprint, CancellationToken cancellationToken, string? detail = null)
    {
        Calls.Enqueue($"{nameof(CompleteAsync)}:{method}");
        End(saga);
        return Task.CompletedTask;
    }

    public Task FailAsync(AgentCredentialState saga, RotationFailureReason reason, string? detail, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"{nameof(FailAsync)}:{reason}");
        End(saga);
        return Task.CompletedTask;
    }

    public Task RecordFailureAsync(Guid rotationId, RotationFailureReason reason, string? detail, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"{nameof(RecordFailureAsync)}:{reason}");
        return Task.CompletedTask;
    }

    public Task FollowFallbackAsync(AgentCredentialState saga, TokenReloadFellBack fellBack)
    {
        Calls.Enqueue(nameof(FollowFallbackAsync));
        saga.RotationMethod = SwitchMethod.Recreate;
        return Task.CompletedTask;
    }

    static void Start(AgentCredentialState saga, SwitchMethod method, Guid? from)
    {
        saga.RotationId = Guid.NewGuid();
        saga.RotationMethod = method;
        saga.FromSubscriptionId = from;
        saga.ExpectedFingerprint = "0123456789ab";
    }

    static void End(AgentCredentialState saga)
    {
        saga.RotationId = null;
        saga.RotationMethod = null;
        saga.ExpectedFingerprint = null;
    }
}
