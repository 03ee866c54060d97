using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Services;

/// <summary>How a recreate ended, for the agent's state machine.</summary>
public abstract record RecreateResult
{
    public sealed record Recreated(string OldContainerId, string NewContainerId, int TurnsOutlivingDrain) : RecreateResult;
    public sealed record NoContainer : RecreateResult;
    public sealed record NotRunning : RecreateResult;

    /// <summary>Nothing was done: the agent is unknown (<see cref="RotationFailureReason.NoPlacement"/>) or a newer rotation owns it (<see cref="RotationFailureReason.FencingTokenStale"/>).</summary>
    public sealed record Refused(RotationFailureReason Reason, string Detail) : RecreateResult;

    /// <summary>It failed half-way and service was restored (admission resumed, or the old configuration recreated).</summary>
    public sealed record Failed(string Detail) : RecreateResult;
}

/// <summary>How a start ended: refused starts are logged, nothing waits for them.</summary>
public abstract record StartResult
{
    public sealed record Started(string ContainerId) : StartResult;
    public sealed record Refused(string Reason) : StartResult;
}
