namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>
/// An agent, its assignment and its placement. Auth mode is derived: a subscription when one is assigned,
/// else the platform API key when <see cref="UseApiKey"/>, else none.
/// </summary>
public sealed class Agent
{
    public required string Name { get; set; }
    public string? Owner { get; set; }
    public Guid? SubscriptionId { get; set; }
    public bool UseApiKey { get; set; }

    /// <summary>
    /// The fencing counter: incremented in the transaction that starts a rotation. A write carrying an
    /// older value is refused.
    /// </summary>
    public long FencingToken { get; set; }

    /// <summary>
    /// The Docker host the agent is placed on (a name of <c>Trinity:DockerHosts</c>): only that host's container manager
    /// starts, recreates or removes its container, and it moves to another only by an operator's move.
    /// </summary>
    public string DockerHost { get; set; } = Messaging.Contracts.Identity.DockerHostName.Local;

    /// <summary>Where the agent server answers: <c>http://{its host's address}:{port}</c> with host networking.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Who runs the agent's container: this system (managed, adopted) or its owner (unmanaged: reloaded, never started or recreated).</summary>
    public AgentKind Kind { get; set; }

    /// <summary>
    /// Whether the agent asks for a key before it reads a reload (this system's does; the reference agent does not),
    /// as the probe at registration or adoption found it; null when it could not be asked.
    /// </summary>
    public bool? Authenticated { get; set; }

    public string? ContainerId { get; set; }
    public byte[]? EncryptedControlKey { get; set; }

    /// <summary>The last rotation whose recreate this agent's container came from: a redelivered command does not recreate twice.</summary>
    public Guid? LastRecreateRotationId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Deleted by an operator: no longer rotated; its container is drained and removed under its lease and fence.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>
    /// When the deleted agent's container was removed and its state machine ended: from then on the name can be
    /// registered again, on this row, so its fence only ever grows.
    /// </summary>
    public DateTimeOffset? RemovedAt { get; set; }
}

public enum AgentKind
{
    /// <summary>Registered here and started by the container manager from the database's view.</summary>
    Managed = 0,

    /// <summary>A running container something else started, registered by <c>agents adopt</c>: recreated keeping all but its credentials.</summary>
    Adopted = 1,

    /// <summary>An agent at a base URL with no container of this system's: hot-reloaded, never started or recreated.</summary>
    Unmanaged = 2,
}
