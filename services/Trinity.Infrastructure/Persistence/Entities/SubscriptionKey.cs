namespace Trinity.Infrastructure.Persistence.Entities;

/// <summary>
/// Every key version a subscription has had, by fingerprint, so a late failure report that names only the
/// fingerprint its turn started with still resolves to the right subscription after a rollover.
/// </summary>
public sealed class SubscriptionKey
{
    public Guid SubscriptionId { get; set; }
    public int KeyVersion { get; set; }
    public required string TokenFingerprint { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
