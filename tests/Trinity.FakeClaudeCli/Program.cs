using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Trinity.Messaging.Contracts.Identity;

// A stand-in for the coding-agent CLI: authenticates only from CLAUDE_CODE_OAUTH_TOKEN, as the real one does,
// calls the model API simulator for the requested duration, and exits non-zero with a rate-limit message on
// 429. It prints the fingerprint it ran on, never the token.
if (args.Contains("probe-secrets"))
    return Trinity.FakeClaudeCli.SecretProbe.Run();

var token = Environment.GetEnvironmentVariable("CLAUDE_CODE_OAUTH_TOKEN");
var api = Environment.GetEnvironmentVariable("TRINITY_MODEL_API_URL");
var duration = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("TRINITY_TURN_DURATION_SECONDS") ?? "1", CultureInfo.InvariantCulture));
var interval = TimeSpan.FromMilliseconds(int.Parse(Environment.GetEnvironmentVariable("TRINITY_FAKE_CLI_INTERVAL_MS") ?? "500", CultureInfo.InvariantCulture));

if (string.IsNullOrEmpty(token))
{
    Console.Error.WriteLine("Not authenticated: CLAUDE_CODE_OAUTH_TOKEN is not set.");
    return 1;
}
if (string.IsNullOrEmpty(api))
{
    Console.Error.WriteLine("TRINITY_MODEL_API_URL is not set.");
    return 2;
}

var fingerprint = TokenFingerprint.Of(token);
Console.WriteLine($"turn started on fingerprint {fingerprint}");
using var http = new HttpClient { BaseAddress = new Uri(api), Timeout = TimeSpan.FromSeconds(10) };
var clock = Stopwatch.StartNew();
var requests = 0;
do
{
    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent("{}") };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    HttpResponseMessage response;
    try
    {
        response = await http.SendAsync(request);
    }
    catch (HttpRequestException ex)
    {
        Console.Error.WriteLine($"API Error: connection failed ({ex.HttpRequestError})");
        return 1;
    }
    requests++;
    using var answered = response;
    if (response.StatusCode == HttpStatusCode.TooManyRequests)
    {
        Console.Error.WriteLine($"API Error: 429 rate_limit_error (retry after {response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0} s) on fingerprint {fingerprint}");
        return 1;
    }
    if (response.StatusCode == HttpStatusCode.Unauthorized)
    {
        Console.Error.WriteLine($"API Error: 401 authentication_error on fingerprint {fingerprint}");
        return 1;
    }
    if (!response.IsSuccessStatusCode)
    {
        Console.Error.WriteLine($"API Error: {(int)response.StatusCode}");
        return 1;
    }
    if (clock.Elapsed + interval > duration)
        break;
    await Task.Delay(interval);
}
while (clock.Elapsed < duration);

Console.WriteLine($"turn completed: {requests} requests on fingerprint {fingerprint}");
return 0;
