using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
/// Calls an agent server's credential routes with its control key. The token goes only into the request
/// body; nothing here puts it in a log line or an exception.
/// </summary>
public sealed class AgentEndpointClient(HttpClient http, IOptions<RotationWorkerOptions> options, ILogger<AgentEndpointClient> logger)
{
    public async Task<ReloadResult> ReloadAsync(string baseUrl, string controlKey, string token, long fencingToken, CancellationToken cancellationToken)
    {
        var attempts = Math.Max(1, options.Value.UnreachableAttempts);
        var backoff = options.Value.RetryBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl.TrimEnd('/')}/api/credentials/reload-token")
                {
                    // The fence goes with the token: the agent itself refuses a reload older than one it accepted.
                    Content = JsonContent.Create(new Dictionary<string, object> { ["token"] = token, ["removeApiKey"] = true, ["fencing_token"] = fencingToken }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", controlKey);
                using var response = await SendAsync(request, cancellationToken);
                return response.StatusCode switch
                {
                    // The agent answers with the fingerprint it now runs, computed from its own credentials.
                    HttpStatusCode.OK => new ReloadResult(ReloadAnswer.Reloaded, (await response.Content.ReadFromJsonAsync<CredentialState>(cancellationToken))?.Fingerprint, 200),
                    HttpStatusCode.NotFound => new ReloadResult(ReloadAnswer.EndpointMissing, StatusCode: 404),
                    HttpStatusCode.Conflict => new ReloadResult(ReloadAnswer.Stale, StatusCode: 409),
                    >= HttpStatusCode.InternalServerError => new ReloadResult(ReloadAnswer.AgentError, StatusCode: (int)response.StatusCode),
                    _ => new ReloadResult(ReloadAnswer.Rejected, StatusCode: (int)response.StatusCode),
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

    async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.AgentCallTimeout);
        return await http.SendAsync(request, timeout.Token);
    }

    sealed record CredentialState(string? Fingerprint);
}
