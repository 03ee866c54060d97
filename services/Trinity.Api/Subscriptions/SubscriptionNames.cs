using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Api.Subscriptions;

/// <summary>The names of subscriptions by id, removed ones included: an answer shows a name beside each id it gives.</summary>
public static class SubscriptionNames
{
    public static async Task<IReadOnlyDictionary<Guid, string>> OfAsync(TrinityDbContext db, IEnumerable<Guid?> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.OfType<Guid>().Distinct().ToList();
        if (wanted.Count == 0)
            return new Dictionary<Guid, string>();
        return await db.Subscriptions.AsNoTracking().Where(s => wanted.Contains(s.Id)).Select(s => new { s.Id, s.Name })
            .ToDictionaryAsync(s => s.Id, s => s.Name, cancellationToken);
    }

    public static string? Of(this IReadOnlyDictionary<Guid, string> names, Guid? id) => id is { } known && names.TryGetValue(known, out var name) ? name : null;
}
