using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Orchestrator.Configuration;

namespace Trinity.Orchestrator.Rotations;

/// <summary>Where an agent can go now; when none, when the earliest cooldown that blocks one ends (null: none ever will by itself).</summary>
public sealed record SubscriptionChoice(Subscription? Target, DateTimeOffset? NextViableAt);

/// <summary>
/// Chooses where an agent goes when its subscription fails: never the failing one, a removed or a disabled one;
/// never one with a failure inside the cooldown (2 hours, or the provider's Retry-After when longer; an
/// authentication failure disables rather than cools down); then the fewest agents, then the name.
/// Failure history is only ever read here, never cleared.
/// </summary>
public sealed class SubscriptionSelector(TrinityDbContext db, TimeProvider clock, IOptions<OrchestratorOptions> options)
{
    /// <summary>The subscription a request names, removed or not (tracked: the decision may assign it).</summary>
    public Task<Subscription?> FindAsync(Guid subscriptionId, CancellationToken cancellationToken) =>
        db.Subscriptions.SingleOrDefaultAsync(s => s.Id == subscriptionId, cancellationToken);

    public async Task<SubscriptionChoice> ChooseAlternativeAsync(Guid failingSubscriptionId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var candidates = await db.Subscriptions
            .Where(s => s.DeletedAt == null && s.DisabledAt == null && s.Id != failingSubscriptionId)
            .Select(s => new { Subscription = s, Agents = db.Agents.Count(a => a.SubscriptionId == s.Id && a.DeletedAt == null) })
            .ToListAsync(cancellationToken);
        if (candidates.Count == 0)
            return new SubscriptionChoice(null, null);

        var ids = candidates.Select(c => c.Subscription.Id).ToList();
        // No cooldown lasts longer (SubscriptionCooldown.Ends caps it), so no older failure can hold one.
        var horizon = now - SubscriptionCooldown.LongestRetryAfter;
        var recentFailures = await db.Failures
            .Where(f => ids.Contains(f.SubscriptionId) && f.OccurredAt > horizon)
            .Select(f => new { f.SubscriptionId, f.OccurredAt, f.RecordedAt, f.RetryAfterSeconds, f.Kind, f.StatusCode })
            .ToListAsync(cancellationToken);
        var coolingDownUntil = recentFailures
            .Where(f => SubscriptionCooldown.CoolsDown(f.Kind, f.StatusCode))
            .Select(f => (f.SubscriptionId, Ends: SubscriptionCooldown.Ends(f.OccurredAt, f.RecordedAt, f.RetryAfterSeconds, options.Value.Cooldown)))
            .Where(f => f.Ends > now)
            .GroupBy(f => f.SubscriptionId)
            .ToDictionary(g => g.Key, g => g.Max(f => f.Ends));

        var target = candidates
            .Where(c => !coolingDownUntil.ContainsKey(c.Subscription.Id))
            .OrderBy(c => c.Agents)
            .ThenBy(c => c.Subscription.Name, StringComparer.Ordinal)
            .Select(c => c.Subscription)
            .FirstOrDefault();
        return new SubscriptionChoice(target, target is null ? coolingDownUntil.Values.Min() : null);
    }
}
