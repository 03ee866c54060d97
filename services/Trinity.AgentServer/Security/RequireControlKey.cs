namespace Trinity.AgentServer.Security;

/// <summary>Every route but health requires the control key (<c>Authorization: Bearer …</c>); 401 otherwise, with nothing changed.</summary>
public sealed class RequireControlKey(ControlKey key) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        key.Matches(context.HttpContext.Request.Headers.Authorization)
            ? await next(context)
            : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The agent's control key is missing or wrong.");
}
