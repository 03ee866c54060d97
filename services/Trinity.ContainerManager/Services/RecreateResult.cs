using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Services;

/// <summary>How a recreate ended, for the agent's state machine.</summary>
public abstract record RecreateResult
{
    /// <param name="Drained">False when the agent could not be drained (no drain route): its turns were not waited for.</param>
    public sealed record Recreated(string OldContainerId, string NewContainerId, int TurnsOutlivingDrain, bool Drained) : RecreateResult;
    public sealed record NoContainer : RecreateResult;
    public sealed record NotRunning : RecreateResult;

    /// <summary>Nothing was done: the agent is unknown (<see cref="RotationFailureReason.NoPlacement"/>) or a newer rotation owns it (<see cref="RotationFailureReason.FencingTokenStale"/>).</summary>
    public sealed record Refused(RotationFailureReason Reason, string Detail) : RecreateResult;

    /// <summary>It stopped half-way (a failure, the lease lost, a newer rotation) and the agent was put back: admission resumed, the old container started again, or recreated from the journal.</summary>
    public sealed record Failed(string Detail) : RecreateResult;
}

/// <summary>How a start ended: refused starts are logged, nothing waits for them.</summary>
public abstract record StartResult
{
    public sealed record Started(string ContainerId) : StartResult;
    public sealed record Refused(string Reason) : StartResult;
}
