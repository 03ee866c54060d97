namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>
/// A subscription's token, encrypted at rest. "Rate-limited now", agent count and failure counts are derived
/// from failures and agents, never stored.
/// </summary>
public sealed class Subscription
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required byte[] EncryptedToken { get; set; }
    public required string TokenFingerprint { get; set; }
    public int KeyVersion { get; set; } = 1;
    public string? Type { get; set; }
    public string? Tier { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Soft delete: failures and history keep pointing at it.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>
    /// Set by an authentication failure of the current key: no agent is moved onto it, every agent on it is moved off,
    /// until its key is rolled over or an operator enables it. Never cleared by time or by retention.
    /// </summary>
    public DateTimeOffset? DisabledAt { get; set; }

    public string? DisabledReason { get; set; }

    /// <summary>The failure report that disabled it.</summary>
    public Guid? DisabledByFailureId { get; set; }
}
