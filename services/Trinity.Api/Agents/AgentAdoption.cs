using System.Text.RegularExpressions;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Trinity.AgentProtocol;
using Trinity.Infrastructure.AgentNetwork;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Placement;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Containers;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Api.Agents;

/// <param name="Names">Containers by name (with or without the reference platform's <c>agent-</c> prefix)…</param>
/// <param name="Label">…or every running container with this label, <c>KEY=VALUE</c> or <c>KEY</c>.</param>
/// <param name="DryRun">Says what would be adopted, changing nothing.</param>
/// <param name="Host">The Docker host they run on (a name of <c>Trinity:DockerHosts</c>), whose manager describes them; left out, the first.</param>
public sealed record AdoptRequest(IReadOnlyList<string>? Names, string? Label, bool DryRun = false, string? Host = null);

/// <param name="Outcome">adopted, unchanged (adopted already), would-adopt (a dry run) or refused.</param>
public sealed record AdoptionResponse(string Container, string? Agent, string? BaseUrl, string? AuthMode, Guid? SubscriptionId, string? Subscription, int? KeyVersion,
    string Outcome, string? Reason, string? Host = null);

/// <summary>
/// Registers running containers that something else started, creating none: the container manager (the only Docker
/// user) describes them — base URL, fingerprints of the credentials they hold — and each is registered adopted, on the
/// subscription its override file's token belongs to (else its baked token's). An old key version adopts, and the
/// reconciler brings it to the current one; a token of no registered subscription is refused with the reason.
/// </summary>
public static partial class AgentAdoption
{
    static readonly TimeSpan ManagerTimeout = TimeSpan.FromSeconds(30);

    public static RouteGroupBuilder MapAdoptionRoutes(this RouteGroupBuilder api)
    {
        api.MapPost("/agents/adopt", AdoptAsync);
        return api;
    }

    static async Task<IResult> AdoptAsync(AdoptRequest? request, IClientFactory clients, DockerHosts dockerHosts, TrinityDbContext db, AgentAddresses addresses,
        AgentProtocolClient agents, TimeProvider clock, CancellationToken cancellationToken)
    {
        var names = request?.Names ?? [];
        if (request is null || (names.Count == 0) == string.IsNullOrWhiteSpace(request.Label))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["names"] = ["Give container names, or a label (KEY=VALUE or KEY), not both."] });
        if (names.FirstOrDefault(n => !ContainerName().IsMatch(n)) is { } odd)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["names"] = [$"'{odd.ReplaceLineEndings(" ")}' is not a container name."] });
        if (request.Label is { } label && !Label().IsMatch(label))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["label"] = ["KEY=VALUE or KEY, printable, at most 256 characters."] });
        var host = dockerHosts.FindOrDefault(request.Host);
        if (host is null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["host"] = [dockerHosts.Unknown(request.Host)] });
        var manager = clients.CreateRequestClient<DescribeAgentContainers>(EntityNames.QueueAddress(EntityNames.Queues.ContainerReadsOf(host.Name)));

        Response<AgentContainersDescribed> described;
        try
        {
            described = await manager.GetResponse<AgentContainersDescribed>(new DescribeAgentContainers { Names = names, Label = request.Label }, cancellationToken,
                RequestTimeout.After(s: (int)ManagerTimeout.TotalSeconds));
        }
        catch (RequestTimeoutException)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: $"The container manager of Docker host {host.Name} did not answer within {ManagerTimeout.TotalSeconds} s: is it running? Nothing was adopted.");
        }
        catch (RequestFaultException)
        {
            return Results.Problem(statusCode: StatusCodes.Status502BadGateway,
                title: "The container manager could not describe the containers (its log says why). Nothing was adopted.");
        }

        var keys = await (
                from key in db.SubscriptionKeys
                join subscription in db.Subscriptions on key.SubscriptionId equals subscription.Id
                where subscription.DeletedAt == null
                orderby subscription.Name, key.KeyVersion descending
                select new KnownKey(key.TokenFingerprint, subscription.Id, subscription.Name, key.KeyVersion, subscription.KeyVersion))
            .ToListAsync(cancellationToken);
        var results = new List<AdoptionResponse>();
        foreach (var container in described.Message.Containers.OrderBy(c => c.ContainerName, StringComparer.Ordinal))
            results.Add(await AdoptOneAsync(container, host, keys, request.DryRun, db, addresses, agents, clock, cancellationToken));
        results.AddRange(described.Message.NotFound.Select(name =>
            new AdoptionResponse(name, null, null, null, null, null, null, "refused", $"no container {name} or agent-{name} runs")));
        return Results.Ok(new { dryRun = request.DryRun, host = host.Name, containers = results });
    }

    static async Task<AdoptionResponse> AdoptOneAsync(DescribedAgentContainer container, DockerHost host, List<KnownKey> keys, bool dryRun, TrinityDbContext db, AgentAddresses addresses,
        AgentProtocolClient agents, TimeProvider clock, CancellationToken cancellationToken)
    {
        AdoptionResponse Refused(string reason) => new(container.ContainerName, container.AgentName, container.BaseUrl, null, null, null, null, "refused", reason);
        if (container is not { Problem: null, AgentName: { } name, BaseUrl: { } baseUrl })
            return Refused(container.Problem ?? "it has no agent name or base URL");
        if (addresses.WhyRefused(baseUrl) is { } refused)
            return Refused($"its base URL {baseUrl}: {refused}");
        // Adopted only what answers as the reference agent does at the address derived for it (a 400 to an empty token,
        // with no key): a wrong address, or an agent that asks for a key adoption cannot carry over, would never reload.
        if (await agents.ProbeAsync(baseUrl, cancellationToken) switch
            {
                AgentProbe.Unauthenticated => null,
                AgentProbe.Authenticated => "its agent asks for a control key, which adoption does not carry over: register this system's own agents with agents register",
                AgentProbe.Unreachable => $"nothing answers at {baseUrl}, the address derived for it",
                AgentProbe.NoReloadEndpoint => $"it answers 404 on {AgentPaths.ReloadToken}: an image from before the endpoint cannot be hot-reloaded",
                _ => $"what answers at {baseUrl} is not an agent server",
            } is { } unfit)
            return Refused(unfit);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.LockNameAsync("agent", name, cancellationToken);
        var existing = await db.Agents.FromSql($"SELECT * FROM agents WHERE name = {name} FOR UPDATE").SingleOrDefaultAsync(cancellationToken);
        // Adopted already, this very container: whatever it runs now is this system's doing, and stays as it is.
        if (existing is { DeletedAt: null, Kind: AgentKind.Adopted } && existing.ContainerId == container.ContainerId)
            return new(container.ContainerName, name, existing.BaseUrl, AgentRoutes.AuthModeOf(existing),
                existing.SubscriptionId, keys.FirstOrDefault(k => k.SubscriptionId == existing.SubscriptionId)?.Subscription, null, "unchanged", "adopted already");
        if (existing is { DeletedAt: null })
            return Refused($"agent {name} is registered already ({RotationResponse.Lower(existing.Kind)})");
        if (existing is { RemovedAt: null })
            return Refused($"agent {name} was deleted and its container is still being removed");

        // The override file first: a hot-reload of the reference platform left that token live, not the baked one.
        var (fingerprint, source) = container.OverrideFingerprint is { } rotated ? (rotated, "override file") : (container.BakedFingerprint, "environment");
        var key = fingerprint is null ? null : keys.FirstOrDefault(k => k.Fingerprint == fingerprint);
        if (fingerprint is not null && key is null)
            return Refused($"the token in its {source} (fingerprint {fingerprint}) belongs to no registered subscription: add that subscription first");
        if (fingerprint is null && !container.PlatformCredential)
            return Refused("it holds no credential: neither a token nor the platform API key");
        var mode = key is null ? "api-key" : "subscription";
        AdoptionResponse Answer(string outcome, string? reason = null) =>
            new(container.ContainerName, name, baseUrl, mode, key?.SubscriptionId, key?.Subscription, key?.KeyVersion, outcome, reason, host.Name);
        if (await db.Agents.AnyAsync(a => (a.ContainerId == container.ContainerId || a.BaseUrl == baseUrl) && a.DeletedAt == null, cancellationToken))
            return Refused("another registered agent has this container or its base URL");
        var stale = key is not null && key.KeyVersion < key.CurrentKeyVersion
            ? $"it runs key version {key.KeyVersion} of {key.CurrentKeyVersion}: the reconciler brings it to the current key"
            : null;
        if (dryRun)
            return Answer("would-adopt", stale);

        var now = clock.GetUtcNow();
        // A name registered again keeps its row, and so its fence.
        var agent = existing ?? db.Agents.Add(new Agent { Name = name }).Entity;
        agent.Kind = AgentKind.Adopted;
        agent.SubscriptionId = key?.SubscriptionId;
        agent.UseApiKey = key is null;
        agent.BaseUrl = baseUrl;
        agent.DockerHost = host.Name;
        agent.ContainerId = container.ContainerId;
        agent.EncryptedControlKey = null;
        agent.Authenticated = false;
        agent.LastRecreateRotationId = null;
        agent.CreatedAt = agent.UpdatedAt = now;
        agent.DeletedAt = agent.RemovedAt = null;
        await db.SaveChangesAsync(cancellationToken);
        // What the container runs is what its state machine starts from: an old key version differs, and is reconciled.
        await db.EnsureStateExistsAsync(name, cancellationToken);
        await db.AgentCredentialStates.Where(s => s.AgentName == name && s.RotationId == null).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.AppliedSubscriptionId, key == null ? null : key.SubscriptionId)
            .SetProperty(x => x.AppliedKeyVersion, key == null ? null : key.KeyVersion), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Answer("adopted", stale);
    }

    sealed record KnownKey(string Fingerprint, Guid SubscriptionId, string Subscription, int KeyVersion, int CurrentKeyVersion);

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")]
    private static partial Regex ContainerName();

    [GeneratedRegex(@"^[\x21-\x3c\x3e-\x7e]{1,128}(=[\x20-\x7e]{0,127})?$")]
    private static partial Regex Label();
}
