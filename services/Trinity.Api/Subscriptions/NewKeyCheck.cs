using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Trinity.Api.Configuration;

namespace Trinity.Api.Subscriptions;

/// <summary>
/// A new key tried before it is stored, when <c>Trinity:Api:KeyCheckUrl</c> names the model API: one request of one
/// output token. Only the provider's own refusal — a 401 or 403 whose body is its <c>authentication_error</c> or
/// <c>permission_error</c> — refuses the key. A 429, any other answer (a gateway's 403 included), or none lets it
/// through unchecked: a rate limit is exactly when operators rotate keys, and an outage of the model API must not stop
/// a rotation. The token goes only in the request's Authorization header, never in a log line or an answer; no
/// redirect is followed and no proxy is used.
/// </summary>
public sealed class NewKeyCheck(HttpClient http, IOptions<ApiOptions> options, ILogger<NewKeyCheck> logger)
{
    /// <returns>Why the key is refused, or null when it may be stored.</returns>
    public async Task<string?> WhyRefusedAsync(string token, string fingerprint, CancellationToken cancellationToken)
    {
        var modelApi = options.Value.KeyCheckUrl;
        if (string.IsNullOrEmpty(modelApi))
            return null;
        using var request = new HttpRequestMessage(HttpMethod.Post, MessagesEndpoint(modelApi))
        {
            Content = JsonContent.Create(new { model = options.Value.KeyCheckModel, max_tokens = 1, messages = new[] { new { role = "user", content = "ping" } } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("anthropic-beta", "oauth-2025-04-20");
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var status = (int)response.StatusCode;
            if (status is 401 or 403 && await ErrorTypeAsync(response, cancellationToken) is "authentication_error" or "permission_error")
            {
                logger.LogWarning("The model API refused the new key {Fingerprint} with {Status}: it is not stored", fingerprint, status);
                return $"The model API refused the new key (fingerprint {fingerprint}) with {status}: nothing changed. Check the key and send it again.";
            }
            if (status == 404)
                logger.LogError("The check of the new key {Fingerprint} found no {Endpoint} (404): Trinity:Api:KeyCheckUrl is misconfigured; the key is stored unchecked",
                    fingerprint, request.RequestUri);
            else if (!response.IsSuccessStatusCode)
                logger.LogWarning("The model API answered {Status} to the check of the new key {Fingerprint}: it is stored unchecked", status, fingerprint);
            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning("The model API did not answer the check of the new key {Fingerprint} ({Error} {HttpError}): it is stored unchecked",
                fingerprint, ex.GetType().Name, (ex as HttpRequestException)?.HttpRequestError);
            return null;
        }
    }

    /// <summary><c>{KeyCheckUrl}/v1/messages</c>: the URL is the API's base, with or without a trailing slash or a gateway's path.</summary>
    static Uri MessagesEndpoint(string modelApi) => new(new Uri(modelApi.TrimEnd('/') + "/"), "v1/messages");

    /// <summary>
    /// Empty (no check), or the model API's base URL: https — http only to a loopback address, as the key travels in
    /// it —, no user information, query or fragment, and not ending in <c>/v1</c> or <c>/v1/messages</c>, which are added.
    /// </summary>
    public static bool IsBaseUrlOrEmpty(string? modelApi)
    {
        if (string.IsNullOrEmpty(modelApi))
            return true;
        if (!Uri.TryCreate(modelApi, UriKind.Absolute, out var url) || !(url.Scheme == "https" || (url.Scheme == "http" && url.IsLoopback)))
            return false;
        var path = url.AbsolutePath.TrimEnd('/');
        return url.UserInfo.Length == 0 && url.Query.Length == 0 && url.Fragment.Length == 0
            && !path.EndsWith("/v1", StringComparison.Ordinal) && !path.EndsWith("/v1/messages", StringComparison.Ordinal);
    }

    static async Task<string?> ErrorTypeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return body.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                ? type.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
