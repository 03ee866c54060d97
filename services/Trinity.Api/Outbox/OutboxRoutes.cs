using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Api.Outbox;

public sealed record ParkedMessageResponse(long Id, Guid MessageId, string MessageType, string Reason, DateTimeOffset CreatedAt, DateTimeOffset ParkedAt);

public sealed record OutboxResponse(int Pending, IReadOnlyList<ParkedMessageResponse> Parked);

public static class OutboxRoutes
{
    /// <summary>What waits in the outbox, and every row that could never be sent, with why — never a body.</summary>
    public static RouteGroupBuilder MapOutboxRoutes(this RouteGroupBuilder api)
    {
        api.MapGet("/outbox", async (TrinityDbContext db, CancellationToken cancellationToken) => Results.Ok(new OutboxResponse(
            await db.OutboxMessages.CountAsync(cancellationToken),
            await db.ParkedOutboxMessages.AsNoTracking().OrderByDescending(p => p.ParkedAt).Take(500)
                .Select(p => new ParkedMessageResponse(p.Id, p.MessageId, p.MessageType, p.Reason, p.CreatedAt, p.ParkedAt))
                .ToListAsync(cancellationToken))));
        return api;
    }
}
