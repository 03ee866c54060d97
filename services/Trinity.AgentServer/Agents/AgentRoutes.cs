using Trinity.AgentServer.Turns;

namespace Trinity.AgentServer.Agents;

public sealed record ReloadTokenRequest(string? Token, bool RemoveApiKey = false);

public sealed record CredentialStateResponse(string? Fingerprint, string Source, DateTimeOffset? ChangedAt, int Reloads);

public sealed record StartTurnRequest(string? Prompt, int? DurationSeconds = null);

public sealed record TurnResponse(Guid Id, string? Fingerprint, string State, string? Ending, int? ExitCode, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Output)
{
    public static TurnResponse From(Turn turn, bool withOutput = true) =>
        new(turn.Id, turn.Fingerprint, turn.State.ToString(), turn.Ending?.ToString(), turn.ExitCode, turn.StartedAt, turn.EndedAt, withOutput ? turn.Output : null);
}

public sealed record AdmissionResponse(bool Draining, int InFlight);

/// <summary>
/// The routes of one agent, the same code in single-agent and fleet mode. Every one requires the agent's
/// control key; health is mapped separately and open.
/// </summary>
public static class AgentRoutes
{
    /// <param name="prefix">"" for a single agent; "/agents/{agent}" in fleet mode.</param>
    public static IEndpointRouteBuilder MapAgentRoutes(this IEndpointRouteBuilder routes, string prefix, bool withReloadEndpoint)
    {
        var api = routes.MapGroup($"{prefix}/api").AddEndpointFilter<RequireControlKey>();

        api.MapGet("/credentials", (HttpContext http) =>
        {
            var agent = http.Agent();
            return Results.Ok(new CredentialStateResponse(agent.Credentials.Fingerprint, agent.Credentials.Source.ToString(), agent.Credentials.ChangedAt, agent.Credentials.Reloads));
        });

        // An image built before the endpoint existed answers 404 here; the fallback tests run such an agent.
        if (withReloadEndpoint)
        {
            api.MapPost("/credentials/reload-token", (HttpContext http, ReloadTokenRequest? request, ILogger<AgentRuntime> logger) =>
            {
                if (request is null || string.IsNullOrWhiteSpace(request.Token))
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["The token is required and must not be empty or whitespace."] });

                var agent = http.Agent();
                agent.Credentials.Reload(request.Token.Trim(), request.RemoveApiKey);
                logger.LogInformation("Agent {AgentName}: token reloaded, fingerprint {Fingerprint}; API key removed: {RemoveApiKey}; {InFlight} turns in flight keep theirs",
                    agent.Name, agent.Credentials.Fingerprint, request.RemoveApiKey, agent.Turns.InFlight);
                return Results.Ok(new { status = "success", reloaded = true, fingerprint = agent.Credentials.Fingerprint });
            });
        }

        api.MapPost("/turns", (HttpContext http, StartTurnRequest? request) =>
        {
            if (request is null || string.IsNullOrWhiteSpace(request.Prompt))
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["prompt"] = ["The prompt is required."] });
            if (request.DurationSeconds is < 0 or > 3600)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["durationSeconds"] = ["Between 0 and 3600."] });

            Turn? turn;
            try
            {
                turn = http.Agent().Turns.Start(request.Prompt, request.DurationSeconds);
            }
            catch (TurnCommandUnavailableException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: ex.Message);
            }
            return turn is null
                ? Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The agent is draining: no new turns are admitted.")
                : Results.Created($"{http.Request.Path}/{turn.Id}", TurnResponse.From(turn, withOutput: false));
        });

        api.MapGet("/turns/{id:guid}", (HttpContext http, Guid id) =>
            http.Agent().Turns.Find(id) is { } turn ? Results.Ok(TurnResponse.From(turn)) : Results.NotFound());

        api.MapGet("/turns", (HttpContext http, string? state) =>
        {
            var turns = http.Agent().Turns.All;
            if (state is not null)
            {
                if (!Enum.TryParse<TurnState>(state, ignoreCase: true, out var wanted))
                    return Results.ValidationProblem(new Dictionary<string, string[]> { ["state"] = ["running or ended."] });
                turns = turns.Where(t => t.State == wanted);
            }
            return Results.Ok(turns.Select(t => TurnResponse.From(t, withOutput: false)).ToList());
        });

        api.MapPost("/drain", (HttpContext http) =>
        {
            var turns = http.Agent().Turns;
            turns.Drain();
            return Results.Ok(new AdmissionResponse(turns.Draining, turns.InFlight));
        });

        api.MapPost("/resume", (HttpContext http) =>
        {
            var turns = http.Agent().Turns;
            turns.Resume();
            return Results.Ok(new AdmissionResponse(turns.Draining, turns.InFlight));
        });

        return routes;
    }

    public static AgentRuntime Agent(this HttpContext http) => (AgentRuntime)http.Items[typeof(AgentRuntime)]!;
}
