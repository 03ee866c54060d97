using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.Infrastructure.Persistence;

/// <summary>A subscription with what is derived, never stored: how many agents are on it, and until when it is cooling down.</summary>
public sealed record SubscriptionStanding(Subscription Subscription, int AgentCount, DateTimeOffset? CooldownUntil)
{
    public bool Disabled => Subscription.DisabledAt is not null;

    /// <summary>Neither disabled nor cooling down: an agent can be moved onto it.</summary>
    public bool Available => !Disabled && CooldownUntil is null;
}

/// <summary>One reading of every live subscription's standing, for the API's list and the Orchestrator's fleet gauges.</summary>
public static class SubscriptionStandings
{
    public static async Task<IReadOnlyList<SubscriptionStanding>> ReadAsync(TrinityDbContext db, DateTimeOffset now, TimeSpan cooldownWindow, CancellationToken cancellationToken)
    {
        var rows = await db.Subscriptions.AsNoTracking()
            .Where(s => s.DeletedAt == null)
            .OrderBy(s => s.Name)
            .Select(s => new
            {
                Subscription = s,
                Agents = db.Agents.Count(a => a.SubscriptionId == s.Id && a.DeletedAt == null),
                Failures = db.Failures.Where(f => f.SubscriptionId == s.Id && f.OccurredAt > now - SubscriptionCooldown.LongestRetryAfter)
                    .Select(f => new { f.OccurredAt, f.RecordedAt, f.RetryAfterSeconds, f.Kind, f.StatusCode }).ToList(),
            })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r =>
        {
            var until = r.Failures
                .Where(f => SubscriptionCooldown.CoolsDown(f.Kind, f.StatusCode))
                .Select(f => SubscriptionCooldown.Ends(f.OccurredAt, f.RecordedAt, f.RetryAfterSeconds, cooldownWindow))
                .Where(end => end > now)
                .DefaultIfEmpty()
                .Max();
            return new SubscriptionStanding(r.Subscription, r.Agents, until == default ? null : until);
        })];
    }
}
