using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.AgentProtocol;
using Trinity.RotationWorker.Configuration;

namespace Trinity.RotationWorker.Services;

/// <summary>What an agent server answered to a reload, reduced to what the worker decides on.</summary>
public enum ReloadAnswer
{
    Reloaded,
    EndpointMissing,
    Rejected,

    /// <summary>409: the agent accepted a newer fence — a later rotation reached it first.</summary>
    Stale,
    AgentError,
    Unreachable,
}

public sealed record ReloadResult(ReloadAnswer Answer, string? LiveFingerprint = null, int? StatusCode = null);

/// <summary>
/// Reloads an agent through the one agent protocol, with its control key when it has one (a reference agent has
/// none) and the fence beside the token; an unreachable agent is tried again with a back-off. The token goes only
/// into the request body; nothing here puts it in a log line or an exception.
/// </summary>
public sealed class AgentEndpointClient(AgentProtocolClient agents, IOptions<RotationWorkerOptions> options, ILogger<AgentEndpointClient> logger)
{
    public async Task<ReloadResult> ReloadAsync(string baseUrl, string? controlKey, string token, long fencingToken, CancellationToken cancellationToken)
    {
        var attempts = Math.Max(1, options.Value.UnreachableAttempts);
        var backoff = options.Value.RetryBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.Value.AgentCallTimeout);
                var reply = await agents.ReloadAsync(baseUrl, controlKey, new ReloadTokenRequest(token, RemoveApiKey: true, fencingToken), timeout.Token);
                return reply.Status switch
                {
                    // Ours answers with the fingerprint it now runs, computed from its own credentials; a reference agent does not say.
                    HttpStatusCode.OK when reply.Reloaded => new ReloadResult(ReloadAnswer.Reloaded, reply.Answer?.Fingerprint, 200),
                    HttpStatusCode.NotFound => new ReloadResult(ReloadAnswer.EndpointMissing, StatusCode: 404),
                    HttpStatusCode.Conflict => new ReloadResult(ReloadAnswer.Stale, StatusCode: 409),
                    >= HttpStatusCode.InternalServerError => new ReloadResult(ReloadAnswer.AgentError, StatusCode: (int)reply.Status),
                    _ => new ReloadResult(ReloadAnswer.Rejected, StatusCode: (int)reply.Status),
                };
            }
            catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Agent at {BaseUrl} unreachable (attempt {Attempt} of {Attempts}): {Error}", baseUrl, attempt, attempts, ex.GetType().Name);
                if (attempt >= attempts)
                    return new ReloadResult(ReloadAnswer.Unreachable);
                await Task.Delay(backoff, cancellationToken);
                backoff *= 2;
            }
        }
    }
}
