using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.Intake;

/// <summary>
/// Which subscription a report's failing turn ran on: the one it names, or the one whose key (any version: a
/// late report can carry an old one) has the fingerprint the turn started with. Never guessed from the agent's
/// current subscription, which would misattribute a late report. Loaded for a whole batch in two queries.
/// </summary>
public sealed class SubscriptionResolver
{
    readonly HashSet<Guid> _existing;
    readonly ILookup<string, Guid> _byFingerprint;

    SubscriptionResolver(HashSet<Guid> existing, ILookup<string, Guid> byFingerprint) => (_existing, _byFingerprint) = (existing, byFingerprint);

    public static async Task<SubscriptionResolver> LoadAsync(TrinityDbContext db, IReadOnlyCollection<ReportSubscriptionFailure> reports, CancellationToken cancellationToken)
    {
        var given = reports.Where(r => r.SubscriptionId is not null).Select(r => r.SubscriptionId!.Value).Distinct().ToList();
        var fingerprints = reports.Where(r => r.SubscriptionId is null && TokenFingerprint.IsWellFormed(r.TokenFingerprint))
            .Select(r => r.TokenFingerprint!).Distinct().ToList();
        var existing = given.Count == 0 ? [] : (await db.Subscriptions.Where(s => given.Contains(s.Id)).Select(s => s.Id).ToListAsync(cancellationToken)).ToHashSet();
        var keys = fingerprints.Count == 0 ? [] : await db.SubscriptionKeys.Where(k => fingerprints.Contains(k.TokenFingerprint))
            .Select(k => new { k.TokenFingerprint, k.SubscriptionId }).Distinct().ToListAsync(cancellationToken);
        return new SubscriptionResolver(existing, keys.ToLookup(k => k.TokenFingerprint, k => k.SubscriptionId));
    }

    /// <returns>The subscription, or null when it cannot be known (<see cref="Why"/> says why).</returns>
    public Guid? Resolve(ReportSubscriptionFailure report) =>
        report.SubscriptionId is { } given
            ? _existing.Contains(given) ? given : null
            : TokenFingerprint.IsWellFormed(report.TokenFingerprint) && _byFingerprint[report.TokenFingerprint!].ToList() is [var only] ? only : null;

    public string Why(ReportSubscriptionFailure report)
    {
        if (report.SubscriptionId is { } given)
            return $"Subscription {given} does not exist.";
        if (!TokenFingerprint.IsWellFormed(report.TokenFingerprint))
            return "Neither SubscriptionId nor a well-formed TokenFingerprint (12 lower-case hex characters) was given; the subscription is never guessed.";
        var matches = _byFingerprint[report.TokenFingerprint!].Count();
        return matches == 0
            ? $"No subscription key has the fingerprint {report.TokenFingerprint}."
            : $"The fingerprint {report.TokenFingerprint} matches {matches} subscriptions; report the SubscriptionId.";
    }
}
