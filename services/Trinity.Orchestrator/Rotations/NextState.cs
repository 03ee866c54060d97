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

    /// <summary>The agent was deleted: its container's removal was sent; the machine waits for the container manager's answer, then ends.</summary>
    Removing,

    /// <summary>No such agent is registered (never, or its removal is done): nothing is left to remember, and the instance ends.</summary>
    Gone,
}
