namespace Trinity.Orchestrator.Rotations;

/// <summary>What a decision leaves the agent doing, named after the state the machine moves to.</summary>
public enum NextState
{
    /// <summary>Nothing in flight: no rotation was needed, or it was refused, stale or impossible.</summary>
    Idle,

    /// <summary>A hot-reload was sent; the machine waits for the worker's answer.</summary>
    Reloading,

    /// <summary>A drained recreate was sent; the machine waits for the container manager's answer.</summary>
    Recreating,
}
