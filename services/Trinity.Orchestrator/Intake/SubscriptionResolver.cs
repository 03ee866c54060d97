using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Intake;

/// <summary>The subscription a report's failing turn ran on, and its key version when that can be told.</summary>
public readonly record struct ResolvedSubscription(Guid SubscriptionId, int? KeyVersion);

/// <summary>
/// Which subscription a report's failing turn ran on: the one it names, or the one whose key (any version: a
/// late report can carry an old one) has the fingerprint the turn started with. Never guessed from the agent's
/// current subscription, which would misattribute a late report. The key version is the fingerprint's, else the one
/// in force when the failure occurred. Loaded for a whole batch in three queries.
/// </summary>
public sealed class SubscriptionResolver
{
    readonly HashSet<Guid> _existing;
    readonly ILookup<string, (Guid SubscriptionId, int KeyVersion)> _byFingerprint;
    readonly ILookup<Guid, (int KeyVersion, DateTimeOffset From)> _versions;

    SubscriptionResolver(HashSet<Guid> existing, ILookup<string, (Guid, int)> byFingerprint, ILookup<Guid, (int, DateTimeOffset)> versions) =>
        (_existing, _byFingerprint, _versions) = (existing, byFingerprint, versions);

    public static async Task<SubscriptionResolver> LoadAsync(TrinityDbContext db, IReadOnlyCollection<ReportSubscriptionFailure> reports, CancellationToken cancellationToken)
    {
        var given = reports.Where(r => r.SubscriptionId is not null).Select(r => r.SubscriptionId!.Value).Distinct().ToList();
        var fingerprints = reports.Where(r => TokenFingerprint.IsWellFormed(r.TokenFingerprint)).Select(r => r.TokenFingerprint!).Distinct().ToList();
        var existing = given.Count == 0 ? [] : (await db.Subscriptions.Where(s => given.Contains(s.Id)).Select(s => s.Id).ToListAsync(cancellationToken)).ToHashSet();
        var keys = fingerprints.Count == 0 ? [] : await db.SubscriptionKeys.Where(k => fingerprints.Contains(k.TokenFingerprint))
            .Select(k => new { k.TokenFingerprint, k.SubscriptionId, k.KeyVersion }).Distinct().ToListAsync(cancellationToken);
        var versions = given.Count == 0 ? [] : await db.SubscriptionKeys.Where(k => given.Contains(k.SubscriptionId))
            .Select(k => new { k.SubscriptionId, k.KeyVersion, k.CreatedAt }).ToListAsync(cancellationToken);
        return new SubscriptionResolver(existing,
            keys.ToLookup(k => k.TokenFingerprint, k => (k.SubscriptionId, k.KeyVersion)),
            versions.ToLookup(v => v.SubscriptionId, v => (v.KeyVersion, v.CreatedAt)));
    }

    /// <returns>The subscription, or null when it cannot be known (<see cref="Why"/> says why).</returns>
    public ResolvedSubscription? Resolve(ReportSubscriptionFailure report)
    {
        // One fingerprint can be several versions of one subscription (an old token uploaded again): the latest counts.
        var key = TokenFingerprint.IsWellFormed(report.TokenFingerprint)
            ? _byFingerprint[report.TokenFingerprint!].GroupBy(k => k.SubscriptionId).Select(g => (SubscriptionId: g.Key, KeyVersion: g.Max(k => k.KeyVersion))).ToList()
            : [];
        if (report.SubscriptionId is { } given)
        {
            if (!_existing.Contains(given))
                return null;
            var version = key.Where(k => k.SubscriptionId == given).Select(k => (int?)k.KeyVersion).FirstOrDefault()
                ?? _versions[given].Where(v => v.From <= report.OccurredAt).Select(v => (int?)v.KeyVersion).Max();
            return new ResolvedSubscription(given, version);
        }
        return key is [var only] ? new ResolvedSubscription(only.SubscriptionId, only.KeyVersion) : null;
    }

    public string Why(ReportSubscriptionFailure report)
    {
        if (report.SubscriptionId is { } given)
            return $"Subscription {given} does not exist.";
        if (!TokenFingerprint.IsWellFormed(report.TokenFingerprint))
            return "Neither SubscriptionId nor a well-formed TokenFingerprint (12 lower-case hex characters) was given; the subscription is never guessed.";
        var matches = _byFingerprint[report.TokenFingerprint!].Select(k => k.SubscriptionId).Distinct().Count();
        return matches == 0
            ? $"No subscription key has the fingerprint {report.TokenFingerprint}."
            : $"The fingerprint {report.TokenFingerprint} matches {matches} subscriptions; report the SubscriptionId.";
    }
}
