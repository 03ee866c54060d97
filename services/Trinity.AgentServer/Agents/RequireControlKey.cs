
namespace Trinity.AgentServer.Agents;

/// <summary>
/// Resolves the agent a request is for (the route's <c>{agent}</c> in fleet mode, else the only one) and
/// requires its control key (<c>Authorization: Bearer …</c>); 401 otherwise, with nothing changed.
/// </summary>
public sealed class RequireControlKey(AgentRegistry agents) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var agent = http.Request.RouteValues.TryGetValue("agent", out var name) ? agents.Find(name as string ?? "") : agents.Single;
        // An unknown agent gets the same answer as a wrong key: names are not for enumerating.
        if (agent is null || !agent.ControlKey.Matches(http.Request.Headers.Authorization))
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The agent's control key is missing or wrong.");
        http.Items[typeof(AgentRuntime)] = agent;
        return await next(context);
    }
}
