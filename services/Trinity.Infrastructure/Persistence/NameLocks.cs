using Microsoft.EntityFrameworkCore;

namespace Trinity.Infrastructure.Persistence;

public static class NameLocks
{
    /// <summary>
    /// Serializes, until the caller's transaction ends, every writer that creates a row by this name: a row that
    /// does not exist yet has nothing for <c>FOR UPDATE</c> to lock, so two creations would race to a unique violation.
    /// </summary>
    public static Task LockNameAsync(this TrinityDbContext db, string kind, string name, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({kind + ":" + name}, 0))", cancellationToken);
}
