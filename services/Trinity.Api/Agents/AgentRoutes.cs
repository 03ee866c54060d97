using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Trinity.AgentProtocol;
using Trinity.Api.Configuration;
using Trinity.Api.Subscriptions;
using Trinity.Hosting.Faults;
using Trinity.Infrastructure.AgentNetwork;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Infrastructure.Placement;
using Trinity.Infrastructure.Secrets;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Api.Agents;

/// <param name="Unmanaged">
/// True: an agent something else runs at <paramref name="BaseUrl"/>, reloaded here but never started or recreated. Left
/// out, an agent that already answers at the base URL is registered so (a container started there would fail on the
/// taken port); false asks for a container even so, and is refused when something answers there.
/// </param>
/// <param name="Host">The Docker host (a name of <c>Trinity:DockerHosts</c>) whose container manager starts it; left out, the first.</param>
public sealed record RegisterAgentRequest(string? Name, Guid? SubscriptionId, bool UseApiKey = false, string? BaseUrl = null, bool? Unmanaged = null, string? Host = null);

public sealed record ReassignRequest(Guid? SubscriptionId);

/// <param name="Kind">managed, adopted or unmanaged (reloaded, never started or recreated).</param>
/// <param name="Authenticated">Whether the agent asks for a key before it reads a reload, as probed at registration; null when unknown.</param>
/// <param name="Verification">How its last hot-reload was known to land: observed (a fingerprint) or acknowledged.</param>
/// <param name="Host">The Docker host it is placed on; <paramref name="BaseUrl"/> is where its agent server answers there.</param>
/// <param name="SubscriptionName">The name of <paramref name="SubscriptionId"/>.</param>
public sealed record AgentResponse(string Name, string AuthMode, Guid? SubscriptionId, string? State, bool? InSync, string? ContainerId, string? LiveFingerprint,
    RotationResponse? LastRotation, int FailedAttempts = 0, DateTimeOffset? NextAttemptAt = null, string? LastFailure = null,
    string Kind = "managed", bool? Authenticated = null, string? Verification = null, string? Host = null, string? BaseUrl = null, string? SubscriptionName = null);

/// <param name="FromName">The name of the subscription <paramref name="From"/>, <paramref name="ToName"/> of <paramref name="To"/>.</param>
public sealed record RotationResponse(Guid Id, string AgentName, string Trigger, Guid? From, Guid? To, string? Method, string Outcome, string Reason, string? Detail,
    DateTimeOffset StartedAt, DateTimeOffset? CompletedAt, string? Verification = null, string? FromName = null, string? ToName = null,
    string? TraceId = null)
{
    public static RotationResponse Of(Rotation r, IReadOnlyDictionary<Guid, string> names) =>
        new(r.Id, r.AgentName, r.Trigger.ToString(), r.FromSubscriptionId, r.ToSubscriptionId, r.Method?.ToString(), r.Outcome.ToString(), r.Reason, r.OutcomeDetail,
            r.StartedAt, r.CompletedAt, Lower(r.Verification), names.Of(r.FromSubscriptionId), names.Of(r.ToSubscriptionId), r.TraceId);

    public static string? Lower(Enum? value) => value?.ToString().ToLowerInvariant();
}

public static class AgentRoutes
{
    public static RouteGroupBuilder MapAgentRoutes(this RouteGroupBuilder api)
    {
        api.MapPost("/agents", RegisterAsync);
        api.MapGet("/agents", ListAsync);
        api.MapGet("/agents/{name}", DescribeAsync);
        api.MapPut("/agents/{name}/subscription", ReassignAsync);
        api.MapDelete("/agents/{name}", DeleteAsync);
        api.MapPost("/agents/{name}/retry", RetryAsync);
        api.MapGet("/rotations", RotationsAsync);
        return api;
    }

    /// <summary>The newest 500 rotations, of one agent or of all, each with its subscriptions' names.</summary>
    static async Task<IResult> RotationsAsync(string? agent, TrinityDbContext db, CancellationToken cancellationToken)
    {
        var rotations = await db.Rotations.AsNoTracking().Where(r => agent == null || r.AgentName == agent).OrderByDescending(r => r.StartedAt).Take(500)
            .ToListAsync(cancellationToken);
        var names = await SubscriptionNames.OfAsync(db, rotations.SelectMany(r => new[] { r.FromSubscriptionId, r.ToSubscriptionId }), cancellationToken);
        return Results.Ok(rotations.Select(r => RotationResponse.Of(r, names)));
    }

    /// <summary>
    /// Registers the agent and has the container manager create and start its container from the database's view — or,
    /// for an agent something else runs at its base URL, registers it unmanaged: reloaded, never started or recreated.
    /// </summary>
    static async Task<IResult> RegisterAsync(RegisterAgentRequest? request, TrinityDbContext db, OutboxWriter outbox, TimeProvider clock,
        IOptions<ApiOptions> options, AgentAddresses addresses, DockerHosts dockerHosts, AgentProtocolClient agents, CancellationToken cancellationToken)
    {
        if (request is null || !AgentName.TryNormalize(request.Name, out var name))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["A DNS label (1-63 of a-z, 0-9, '-') is required."] });
        var host = dockerHosts.FindOrDefault(request.Host);
        if (host is null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["host"] = [dockerHosts.Unknown(request.Host)] });
        // The worker sends this agent its tokens: only to where agents may be.
        if (request.BaseUrl is not null && addresses.WhyRefused(request.BaseUrl) is { } refused)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["baseUrl"] = [refused] });
        if (request.SubscriptionId is { } id && !await db.Subscriptions.AnyAsync(s => s.Id == id && s.DeletedAt == null, cancellationToken))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["subscriptionId"] = [$"No subscription {id}."] });
        if (request.Unmanaged == true && request.BaseUrl is null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["baseUrl"] = ["An unmanaged agent is reached at the base URL its owner gives."] });
        // Asked before anything is written: does an agent answer there already, and does it want a key?
        var probe = request.BaseUrl is null ? AgentProbe.Unreachable : await agents.ProbeAsync(request.BaseUrl, cancellationToken);
        var unmanaged = request.Unmanaged ?? probe == AgentProbe.Unauthenticated;

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Registrations of one name queue here, so the second finds the first's row and answers 409.
        await db.LockNameAsync("agent", name, cancellationToken);
        var existing = await db.Agents.FromSql($"SELECT * FROM agents WHERE name = {name} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
        if (existing is { DeletedAt: null })
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Agent {name} is already registered.");
        if (existing is { RemovedAt: null })
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Agent {name} was deleted and its container is still being removed; register it again once that is done.");
        if (WhyNotRegistered(probe, request.Unmanaged, request.BaseUrl) is { } conflict)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: conflict);
        if (request.BaseUrl is not null && await db.Agents.AnyAsync(a => a.BaseUrl == request.BaseUrl && a.DeletedAt == null && a.Name != name, cancellationToken))
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Another agent is registered at {request.BaseUrl}: two agents on one server would undo each other's switches.");
        var baseUrl = request.BaseUrl ?? await AgentBaseUrls.ChooseAsync(db, name, host, options.Value, cancellationToken);
        if (baseUrl is null)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Every port of Trinity:Api:AgentPorts ({options.Value.AgentPorts}) has an agent.");
        if (request.BaseUrl is null && addresses.WhyRefused(baseUrl) is { } misconfigured)
            return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: $"Trinity:Api:AgentBaseUrl gives {baseUrl}, which Trinity:AgentNetwork refuses: {misconfigured}");
        var now = clock.GetUtcNow();
        // A name registered again keeps its row, and so its fence: a late command of its first life is refused.
        var agent = existing ?? db.Agents.Add(new Agent { Name = name }).Entity;
        agent.SubscriptionId = request.SubscriptionId;
        agent.UseApiKey = request.UseApiKey;
        agent.BaseUrl = baseUrl;
        agent.DockerHost = host.Name;
        agent.Kind = unmanaged ? AgentKind.Unmanaged : AgentKind.Managed;
        agent.Authenticated = probe switch { AgentProbe.Authenticated => true, AgentProbe.Unauthenticated => false, _ => null };
        agent.ContainerId = null;
        agent.EncryptedControlKey = null;
        agent.LastRecreateRotationId = null;
        agent.CreatedAt = agent.UpdatedAt = now;
        agent.DeletedAt = agent.RemovedAt = null;
        if (!unmanaged)
            outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.ContainerStartsOf(host.Name)), new StartAgentContainer { AgentName = name });
        await db.EnsureStateExistsAsync(name, cancellationToken);
        await outbox.SaveAndSendAsync(transaction, cancellationToken);
        return Results.Created($"/api/agents/{name}", new { name, kind = RotationResponse.Lower(agent.Kind), authenticated = agent.Authenticated, host = host.Name, baseUrl });
    }

    /// <summary>
    /// Only what answers as the reference agent does — a 400 to an empty token, without a key — is registered unmanaged by
    /// itself; an unmanaged agent that is down for now may be named so. Anything else that answers is no agent this system
    /// can reload without a key, and a container started on its port would fail: the operator decides.
    /// </summary>
    static string? WhyNotRegistered(AgentProbe probe, bool? unmanaged, string? baseUrl) => (probe, unmanaged) switch
    {
        (AgentProbe.Unreachable, _) or (AgentProbe.Unauthenticated, not false) => null,
        (AgentProbe.Unauthenticated, false) => $"An agent answers at {baseUrl} already: a container started there would fail on the taken port. Register it unmanaged, or adopt its container.",
        (AgentProbe.Authenticated, _) => $"The agent at {baseUrl} asks for a key this system does not hold, so it could not be reloaded: adopt its container, or register it without a base URL to have this system start it.",
        (AgentProbe.NoReloadEndpoint, _) => $"Something at {baseUrl} answers 404 on {AgentPaths.ReloadToken}: no agent this system can reload there.",
        _ => $"Something at {baseUrl} answers, but not as an agent server: no token is sent there.",
    };

    static async Task<IResult> DescribeAsync(string name, TrinityDbContext db, SecretCipher cipher, AgentProtocolClient agents, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Name == name && a.DeletedAt == null, cancellationToken);
        if (agent is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No agent {name}.");
        var saga = await db.AgentCredentialStates.AsNoTracking().SingleOrDefaultAsync(s => s.AgentName == name, cancellationToken);
        var last = await db.Rotations.AsNoTracking().Where(r => r.AgentName == name).OrderByDescending(r => r.StartedAt).FirstOrDefaultAsync(cancellationToken);
        var names = await SubscriptionNames.OfAsync(db, [agent.SubscriptionId, last?.FromSubscriptionId, last?.ToSubscriptionId], cancellationToken);
        return Results.Ok(Describe(agent, saga, await LiveFingerprintAsync(agent, cipher, agents, cancellationToken), last,
            await LastVerification(db, name).FirstOrDefaultAsync(cancellationToken), names));
    }

    /// <summary>Every registered agent as the database sees it (the live fingerprint is asked of one agent at a time, by name).</summary>
    static async Task<IResult> ListAsync(TrinityDbContext db, CancellationToken cancellationToken)
    {
        var rows = await (
                from agent in db.Agents.AsNoTracking()
                where agent.DeletedAt == null
                join saga in db.AgentCredentialStates.AsNoTracking() on agent.Name equals saga.AgentName into sagas
                from saga in sagas.DefaultIfEmpty()
                orderby agent.Name
                // Spelled out, not LastVerification: EF cannot translate a method call inside the query.
                select new
                {
                    agent,
                    saga,
                    verification = db.Rotations.Where(r => r.AgentName == agent.Name && r.Verification != null)
                        .OrderByDescending(r => r.StartedAt).Select(r => r.Verification).FirstOrDefault(),
                })
            .ToListAsync(cancellationToken);
        var names = await SubscriptionNames.OfAsync(db, rows.Select(row => row.agent.SubscriptionId), cancellationToken);
        return Results.Ok(rows.Select(row => Describe(row.agent, row.saga, null, null, row.verification, names)));
    }

    static IQueryable<ReloadVerification?> LastVerification(TrinityDbContext db, string name) =>
        db.Rotations.Where(r => r.AgentName == name && r.Verification != null).OrderByDescending(r => r.StartedAt).Select(r => r.Verification);

    /// <summary>Derived: a subscription when one is assigned, else the platform API key when chosen, else none.</summary>
    public static string AuthModeOf(Agent agent) => agent.SubscriptionId is not null ? "subscription" : agent.UseApiKey ? "api-key" : "none";

    static AgentResponse Describe(Agent agent, AgentCredentialState? saga, string? liveFingerprint, Rotation? last, ReloadVerification? verification,
        IReadOnlyDictionary<Guid, string> names) => new(
        agent.Name,
        AuthModeOf(agent),
        agent.SubscriptionId,
        saga?.CurrentState,
        saga is null ? null : !saga.OutOfSync,
        agent.ContainerId,
        liveFingerprint,
        last is null ? null : RotationResponse.Of(last, names),
        saga?.FailedAttempts ?? 0,
        saga?.NextAttemptAt,
        saga?.LastFailure,
        RotationResponse.Lower(agent.Kind)!,
        agent.Authenticated,
        RotationResponse.Lower(verification),
        agent.DockerHost,
        agent.BaseUrl,
        names.Of(agent.SubscriptionId));

    /// <summary>
    /// An operator's "try this agent again now": the agent's state machine starts its back-off afresh and brings it to
    /// the database's view at once (after a rotation in flight, if any).
    /// </summary>
    static async Task<IResult> RetryAsync(string name, TrinityDbContext db, OutboxWriter outbox, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Name == name && a.DeletedAt == null, cancellationToken);
        if (agent is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No agent {name}.");
        var causationId = Guid.NewGuid();
        outbox.Publish(AgentTokenRefreshRequested.ToDatabaseView(name, TokenRefreshReason.Retry, causationId), AgentIdentity.For(name));
        await outbox.SaveAndSendAsync(transaction: null, cancellationToken);
        return Results.Accepted($"/api/rotations?agent={name}", new { requestId = causationId });
    }

    /// <summary>What the agent itself reports, asked with its control key; null when it cannot be asked or does not say (a reference agent).</summary>
    static async Task<string?> LiveFingerprintAsync(Agent agent, SecretCipher cipher, AgentProtocolClient agents, CancellationToken cancellationToken)
    {
        if (agent.BaseUrl is null || agent.EncryptedControlKey is null)
            return null;
        try
        {
            return (await agents.CredentialsAsync(agent.BaseUrl, cipher.Decrypt(agent.EncryptedControlKey), cancellationToken))?.Fingerprint;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>202: the agent's state machine applies it (now, or after a rotation in flight); a null subscription leaves subscription mode.</summary>
    static async Task<IResult> ReassignAsync(string name, ReassignRequest? request, TrinityDbContext db, OutboxWriter outbox, FaultPoints faults, CancellationToken cancellationToken)
    {
        if (request is null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["subscriptionId"] = ["A subscription id, or null to leave subscription mode."] });
        var kind = await db.Agents.Where(a => a.Name == name && a.DeletedAt == null).Select(a => (AgentKind?)a.Kind).SingleOrDefaultAsync(cancellationToken);
        if (kind is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No agent {name}.");
        if (kind == AgentKind.Unmanaged && request.SubscriptionId is null)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict,
                title: $"Agent {name} is unmanaged: leaving subscription mode needs a new container, which is its owner's to make.");
        if (request.SubscriptionId is { } id && !await db.Subscriptions.AnyAsync(s => s.Id == id && s.DeletedAt == null, cancellationToken))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["subscriptionId"] = [$"No subscription {id}."] });
        var requestId = Guid.NewGuid();
        outbox.Publish(new SubscriptionReassignmentRequested { RequestId = requestId, AgentName = name, SubscriptionId = request.SubscriptionId, RequestedBy = "api" }, AgentIdentity.For(name));
        await outbox.SaveAndSendAsync(transaction: null, cancellationToken, afterCommit: () => faults.ReachedAsync("reassignment-committed", cancellationToken));
        return Results.Accepted($"/api/rotations?agent={name}", new { requestId });
    }

    /// <summary>
    /// 202: the agent is no longer rotated; its state machine has the container manager drain and remove its
    /// container under its lease and fence (the API never touches Docker), then ends. Asked again while that runs,
    /// the same answer; once it is done, the name can be registered again.
    /// </summary>
    static async Task<IResult> DeleteAsync(string name, TrinityDbContext db, OutboxWriter outbox, TimeProvider clock, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var agent = await db.LoadForUpdateAsync(name, cancellationToken);
        if (agent is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No agent {name}.");
        if (agent.DeletedAt is null)
        {
            agent.DeletedAt = agent.UpdatedAt = clock.GetUtcNow();
            outbox.Publish(AgentTokenRefreshRequested.ToDatabaseView(agent.Name, TokenRefreshReason.AgentDeleted, Guid.NewGuid()), AgentIdentity.For(agent.Name));
            await outbox.SaveAndSendAsync(transaction, cancellationToken);
        }
        return Results.Accepted($"/api/rotations?agent={agent.Name}", new { name = agent.Name, deletedAt = agent.DeletedAt, removing = true });
    }
}
