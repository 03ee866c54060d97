using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Secrets;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Api.Subscriptions;

public sealed record UpsertSubscriptionRequest(string? Name, string? Token, string? Type, string? Tier);

/// <summary>What the API shows of a subscription: never the token, only its fingerprint.</summary>
public sealed record SubscriptionResponse(Guid Id, string Name, int KeyVersion, string Fingerprint, string? Type, string? Tier, int? AgentCount = null,
    DateTimeOffset? CooldownUntil = null, DateTimeOffset? DisabledAt = null, string? DisabledReason = null);

public static class SubscriptionRoutes
{
    public static RouteGroupBuilder MapSubscriptionRoutes(this RouteGroupBuilder api)
    {
        api.MapPost("/subscriptions", UpsertAsync);
        api.MapGet("/subscriptions", ListAsync);
        api.MapDelete("/subscriptions/{id:guid}", DeleteAsync);
        api.MapPost("/subscriptions/{id:guid}/enable", EnableAsync);
        return api;
    }

    /// <summary>
    /// Upsert by name, in one transaction with the outbox. A new token for an existing name raises the key
    /// version (the old fingerprint stays resolvable for late failure reports) and publishes
    /// <see cref="SubscriptionKeyRolledOver"/>, which reaches every agent on it. With <c>Trinity:Api:KeyCheckUrl</c> set, a
    /// key that would be new is first tried against the model API (<see cref="NewKeyCheck"/>): refused there, 422 and
    /// nothing changes.
    /// </summary>
    static async Task<IResult> UpsertAsync(UpsertSubscriptionRequest? request, TrinityDbContext db, SecretCipher cipher, OutboxWriter outbox,
        NewKeyCheck keyCheck, TimeProvider clock, ILogger<UpsertSubscriptionRequest> logger, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request?.Name) || request.Name.Length > 200 || request.Name.Any(char.IsControl))
            errors["name"] = ["The name is required (at most 200 characters, no control characters)."];
        foreach (var (field, value) in new[] { ("type", request?.Type), ("tier", request?.Tier) })
        {
            if (value is { } text && (text.Length > 200 || text.Any(char.IsControl)))
                errors[field] = ["At most 200 characters, no control characters."];
        }
        if (string.IsNullOrWhiteSpace(request?.Token) || request.Token.Any(char.IsWhiteSpace))
            errors["token"] = ["The token is required and must not contain whitespace."];
        if (errors.Count > 0)
            return Results.ValidationProblem(errors);

        var (name, token, now) = (request!.Name!.Trim(), request.Token!, clock.GetUtcNow());
        var fingerprint = TokenFingerprint.Of(token);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockNameAsync("subscription", name, cancellationToken);
        var subscription = await db.Subscriptions.FromSql($"SELECT * FROM subscriptions WHERE name = {name} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
        var created = subscription is null;
        // Under the name's lock, so no other upsert of this name can store a key in between: only this name's wait.
        if ((subscription is null || subscription.TokenFingerprint != fingerprint || subscription.DeletedAt is not null)
            && await keyCheck.WhyRefusedAsync(token, fingerprint, cancellationToken) is { } refused)
            return Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: refused);
        if (subscription is null)
        {
            subscription = new Subscription { Id = Guid.NewGuid(), Name = name, EncryptedToken = cipher.Encrypt(token), TokenFingerprint = fingerprint, CreatedAt = now };
            db.Subscriptions.Add(subscription);
            db.SubscriptionKeys.Add(new SubscriptionKey { SubscriptionId = subscription.Id, KeyVersion = 1, TokenFingerprint = fingerprint, CreatedAt = now });
        }
        else if (subscription.TokenFingerprint != fingerprint || subscription.DeletedAt is not null)
        {
            subscription.EncryptedToken = cipher.Encrypt(token);
            subscription.TokenFingerprint = fingerprint;
            subscription.KeyVersion += 1;
            subscription.DeletedAt = null;
            // A new key is the way back for a subscription an authentication failure disabled.
            subscription.DisabledAt = null;
            subscription.DisabledReason = null;
            subscription.DisabledByFailureId = null;
            db.SubscriptionKeys.Add(new SubscriptionKey { SubscriptionId = subscription.Id, KeyVersion = subscription.KeyVersion, TokenFingerprint = fingerprint, CreatedAt = now });
            outbox.Publish(new SubscriptionKeyRolledOver { SubscriptionId = subscription.Id, KeyVersion = subscription.KeyVersion });
        }
        subscription.Type = request.Type ?? subscription.Type;
        subscription.Tier = request.Tier ?? subscription.Tier;
        subscription.UpdatedAt = now;
        await outbox.SaveAndSendAsync(transaction, cancellationToken);

        logger.LogInformation("Subscription {Name} {Action}: key version {KeyVersion}, fingerprint {Fingerprint}",
            name, created ? "created" : "updated", subscription.KeyVersion, fingerprint);
        var response = Describe(subscription);
        return created ? Results.Created($"/api/subscriptions/{subscription.Id}", response) : Results.Ok(response);
    }

    /// <summary>With what is derived, never stored: how many agents are on each, and until when it is cooling down.</summary>
    static async Task<IResult> ListAsync(TrinityDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var standings = await SubscriptionStandings.ReadAsync(db, clock.GetUtcNow(), SubscriptionCooldown.DefaultWindow, cancellationToken);
        return Results.Ok(standings.Select(s => Describe(s.Subscription) with { AgentCount = s.AgentCount, CooldownUntil = s.CooldownUntil }));
    }

    /// <summary>Soft delete; <see cref="SubscriptionRemoved"/> moves every agent on it, so a deleted token never stays live.</summary>
    static async Task<IResult> DeleteAsync(Guid id, TrinityDbContext db, OutboxWriter outbox, TimeProvider clock, CancellationToken cancellationToken)
    {
        var subscription = await db.Subscriptions.SingleOrDefaultAsync(s => s.Id == id && s.DeletedAt == null, cancellationToken);
        if (subscription is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No subscription {id}.");
        subscription.DeletedAt = clock.GetUtcNow();
        outbox.Publish(new SubscriptionRemoved { SubscriptionId = id });
        await outbox.SaveAndSendAsync(transaction: null, cancellationToken);
        return Results.NoContent();
    }

    /// <summary>An operator's way back for a subscription an authentication failure disabled (the other: roll its key over).</summary>
    static async Task<IResult> EnableAsync(Guid id, TrinityDbContext db, ILogger<UpsertSubscriptionRequest> logger, CancellationToken cancellationToken)
    {
        var subscription = await db.Subscriptions.SingleOrDefaultAsync(s => s.Id == id && s.DeletedAt == null, cancellationToken);
        if (subscription is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No subscription {id}.");
        if (subscription.DisabledAt is not null)
        {
            logger.LogWarning("Subscription {Name} enabled by an operator; it was disabled at {DisabledAt}: {Reason}", subscription.Name, subscription.DisabledAt, subscription.DisabledReason);
            subscription.DisabledAt = null;
            subscription.DisabledReason = null;
            subscription.DisabledByFailureId = null;
            await db.SaveChangesAsync(cancellationToken);
        }
        return Results.Ok(Describe(subscription));
    }

    static SubscriptionResponse Describe(Subscription s) =>
        new(s.Id, s.Name, s.KeyVersion, s.TokenFingerprint, s.Type, s.Tier, DisabledAt: s.DisabledAt, DisabledReason: s.DisabledReason);
}
