using System.Runtime.Versioning;
using Trinity.AgentServer.Security;

namespace Trinity.AgentServer.Credentials;

public sealed record ReloadTokenRequest(string? Token, bool RemoveApiKey = false);

public sealed record CredentialStateResponse(string? Fingerprint, string Source, DateTimeOffset? ChangedAt);

[SupportedOSPlatform("linux")]
public static class CredentialRoutes
{
    public static IEndpointRouteBuilder MapCredentialRoutes(this IEndpointRouteBuilder routes)
    {
        var credentials = routes.MapGroup("/api/credentials").AddEndpointFilter<RequireControlKey>();

        credentials.MapGet("/", (AgentCredentials live) =>
            Results.Ok(new CredentialStateResponse(live.Fingerprint, live.Source.ToString(), live.ChangedAt)));

        credentials.MapPost("/reload-token", (ReloadTokenRequest? request, AgentCredentials live, ILogger<AgentCredentials> logger) =>
        {
            if (request is null || string.IsNullOrWhiteSpace(request.Token))
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["The token is required and must not be empty or whitespace."] });

            live.Reload(request.Token.Trim(), request.RemoveApiKey);
            logger.LogInformation("Token reloaded: fingerprint {Fingerprint}; API key removed: {RemoveApiKey}", live.Fingerprint, request.RemoveApiKey);
            return Results.Ok(new { status = "success", reloaded = true, fingerprint = live.Fingerprint });
        });
        return routes;
    }
}
