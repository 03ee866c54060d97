namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>How far a recreate of an agent's container has come, in order.</summary>
public enum RecreateStep
{
    /// <summary>The old container was inspected and its configuration saved here; nothing was touched yet.</summary>
    Inspected = 1,
    Drained = 2,
    Stopped = 3,
    Removed = 4,
    Created = 5,
    Started = 6,
}

/// <summary>
/// A recreate in progress, written before anything is stopped, so that a container manager killed half-way resumes
/// from here when the command is redelivered — or, for a recreate nothing will resume, puts the agent back — and the
/// agent always ends with a running container. The old container's configuration holds its environment, tokens
/// included: encrypted, like every secret at rest.
/// </summary>
public sealed class RecreateJournalEntry
{
    public required string AgentName { get; set; }
    public Guid RotationId { get; set; }
    public RecreateStep Step { get; set; }
    public required string OldContainerId { get; set; }

    /// <summary>The old container's inspected configuration (JSON), encrypted.</summary>
    public required byte[] EncryptedOldConfiguration { get; set; }

    public int TurnsOutlivingDrain { get; set; }

    /// <summary>False when the agent could not be drained (no drain route): its turns were not waited for.</summary>
    public bool Drained { get; set; }

    public string? NewContainerId { get; set; }

    /// <summary>The control key baked into the new container, encrypted; it becomes the agent's once the new container runs.</summary>
    public byte[]? EncryptedNewControlKey { get; set; }

    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
