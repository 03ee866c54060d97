using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Trinity.Api.Configuration;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Placement;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Api.Agents;

public sealed record MoveRequest(string? Host);

/// <summary>
/// An operator's move of an agent to another Docker host — the only way an agent changes host. The manager of the host it
/// leaves drains and removes its container under the agent's lease; its workspace volume stays there, and the answer
/// says so; the new host's manager starts it at that host's address from the database's view.
/// </summary>
public static class AgentMoves
{
    public static RouteGroupBuilder MapMoveRoutes(this RouteGroupBuilder api)
    {
        api.MapPost("/agents/{name}/move", MoveAsync);
        return api;
    }

    static async Task<IResult> MoveAsync(string name, MoveRequest? request, TrinityDbContext db, OutboxWriter outbox, DockerHosts dockerHosts, IOptions<ApiOptions> options,
        CancellationToken cancellationToken)
    {
        var target = dockerHosts.Find(request?.Host);
        if (target is null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["host"] = [dockerHosts.Unknown(request?.Host)] });
        var agent = await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Name == name && a.DeletedAt == null, cancellationToken);
        if (agent is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No agent {name}.");
        if (agent.DockerHost == target.Name)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Agent {name} is on Docker host {target.Name} already.");
        if (agent.Kind != AgentKind.Managed || agent.BaseUrl is null)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: agent.Kind == AgentKind.Unmanaged
                ? $"Agent {name} is unmanaged: its owner runs it, wherever that is; register it again at its new base URL."
                : $"Agent {name}'s container was adopted: this system did not start it and cannot start it elsewhere with what it had.");

        var baseUrl = DockerHosts.OnHost(agent.BaseUrl, target);
        if (await db.Agents.AnyAsync(a => a.BaseUrl == baseUrl && a.DeletedAt == null && a.Name != name, cancellationToken))
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Another agent is registered at {baseUrl}, where {name} would answer on {target.Name}.");
        var requestId = Guid.NewGuid();
        outbox.Send(EntityNames.QueueAddress(EntityNames.Queues.ContainerManagerOf(agent.DockerHost)), new MoveAgentContainer
        {
            RequestId = requestId, AgentName = name, ToHost = target.Name, DrainTimeout = options.Value.DrainTimeout,
        });
        await outbox.SaveAndSendAsync(transaction: null, cancellationToken);
        return Results.Accepted($"/api/agents/{name}", new
        {
            requestId,
            from = agent.DockerHost,
            to = target.Name,
            baseUrl,
            workspace = $"The workspace volume of {name} stays on Docker host {agent.DockerHost}: on {target.Name} the agent starts with a new, empty one.",
        });
    }
}
