using Trinity.AgentProtocol;
using Trinity.AgentServer.Turns;

namespace Trinity.AgentServer.Agents;

public sealed record StartTurnRequest(string? Prompt, int? DurationSeconds = null);

public sealed record TurnResponse(Guid Id, string? Fingerprint, string State, string? Ending, int? ExitCode, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Output)
{
    public static TurnResponse From(Turn turn, bool withOutput = true) =>
        new(turn.Id, turn.Fingerprint, turn.State.ToString(), turn.Ending?.ToString(), turn.ExitCode, turn.StartedAt, turn.EndedAt, withOutput ? turn.Output : null);
}

/// <summary>
/// The routes of one agent, the same code in single-agent and fleet mode. Every one requires the agent's
/// control key; health is mapped separately and open.
/// </summary>
public static class AgentRoutes
{
    /// <param name="prefix">"" for a single agent; "/agents/{agent}" in fleet mode.</param>
    public static IEndpointRouteBuilder MapAgentRoutes(this IEndpointRouteBuilder routes, string prefix, bool withReloadEndpoint)
    {
        var api = routes.MapGroup(prefix).AddEndpointFilter<RequireControlKey>();

        api.MapGet(AgentPaths.Credentials, (HttpContext http) =>
        {
            var agent = http.Agent();
            return Results.Ok(new CredentialState(agent.Credentials.Fingerprint, agent.Credentials.Source.ToString(), agent.Credentials.ChangedAt, agent.Credentials.Reloads));
        });

        // An image built before the endpoint existed answers 404 here; the fallback tests run such an agent.
        if (withReloadEndpoint)
        {
            api.MapPost(AgentPaths.ReloadToken, (HttpContext http, ReloadTokenRequest? request, ILogger<AgentRuntime> logger) =>
            {
                if (request is null || string.IsNullOrWhiteSpace(request.Token))
                    return EmptyToken();

                var agent = http.Agent();
                var token = request.Token.Trim();
                if (!agent.Fence.TryAccept(request.FencingToken, () => agent.Credentials.Reload(token, request.RemoveApiKey)))
                {
                    logger.LogWarning("Agent {AgentName}: reload with fence {Fence} refused, fence {Highest} was accepted already", agent.Name, request.FencingToken, agent.Fence.Highest);
                    return Results.Problem(statusCode: StatusCodes.Status409Conflict,
                        title: $"Fence {request.FencingToken} is older than the fence {agent.Fence.Highest} this agent accepted: a newer rotation owns it.");
                }
                logger.LogInformation("Agent {AgentName}: token reloaded, fingerprint {Fingerprint}; API key removed: {RemoveApiKey}; {InFlight} turns in flight keep theirs",
                    agent.Name, agent.Credentials.Fingerprint, request.RemoveApiKey, agent.Turns.InFlight);
                return Results.Ok(new ReloadTokenAnswer(ReloadTokenAnswer.Success, Reloaded: true, agent.Credentials.Fingerprint, agent.Fence.Highest));
            });
        }

        api.MapPost(AgentPaths.Turns, (HttpContext http, StartTurnRequest? request) =>
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

        api.MapGet($"{AgentPaths.Turns}/{{id:guid}}", (HttpContext http, Guid id) =>
            http.Agent().Turns.Find(id) is { } turn ? Results.Ok(TurnResponse.From(turn)) : Results.NotFound());

        api.MapGet(AgentPaths.Turns, (HttpContext http, string? state) =>
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

        api.MapPost(AgentPaths.Drain, (HttpContext http, DrainRequest? request) =>
        {
            if (request?.TtlSeconds is < 1 or > 3600)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["ttlSeconds"] = ["Between 1 and 3600."] });
            var turns = http.Agent().Turns;
            turns.Drain(TimeSpan.FromSeconds(request?.TtlSeconds ?? 60));
            return Results.Ok(new AdmissionState(turns.Draining, turns.InFlight, turns.DrainingUntil));
        });

        api.MapPost(AgentPaths.Resume, (HttpContext http) =>
        {
            var turns = http.Agent().Turns;
            turns.Resume();
            return Results.Ok(new AdmissionState(turns.Draining, turns.InFlight));
        });

        return routes;
    }

    /// <summary>
    /// The reference platform's agent server, as it is: the reload endpoint alone, without a key, the fence ignored,
    /// answered without a fingerprint. What <c>trinity/agent:reference</c> runs, so the adoption path and the
    /// verification by the override file are tried on a real container.
    /// </summary>
    public static IEndpointRouteBuilder MapReferenceRoutes(this IEndpointRouteBuilder routes)
    {
        routes.MapPost(AgentPaths.ReloadToken, (AgentRegistry agents, ReloadTokenRequest? request, ILogger<AgentRuntime> logger) =>
        {
            if (request is null || string.IsNullOrWhiteSpace(request.Token))
                return EmptyToken();
            var agent = agents.Single;
            agent.Credentials.Reload(request.Token.Trim(), request.RemoveApiKey);
            logger.LogInformation("Agent {AgentName}: token reloaded (reference endpoint); API key removed: {RemoveApiKey}", agent.Name, request.RemoveApiKey);
            return Results.Ok(new ReloadTokenAnswer(ReloadTokenAnswer.Success, Reloaded: true));
        });
        return routes;
    }

    static IResult EmptyToken() =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["token"] = ["The token is required and must not be empty or whitespace."] });

    public static AgentRuntime Agent(this HttpContext http) => (AgentRuntime)http.Items[typeof(AgentRuntime)]!;
}
