using Trinity.Messaging.Contracts.Identity;
using Trinity.ModelApiSimulator;

// A stand-in for the model provider's API, for tests and the demo: bearer tokens, a request budget per token
// per window, 429 with Retry-After when it is spent, 401 for a revoked token, and a record of which fingerprint each
// request carried.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:8100");
var budget = new RequestBudget(
    builder.Configuration.GetValue("Simulator:RequestsPerWindow", 1000),
    builder.Configuration.GetValue("Simulator:Window", TimeSpan.FromMinutes(1)),
    TimeProvider.System);

var app = builder.Build();

app.MapPost("/v1/messages", (HttpContext http) =>
{
    var authorization = http.Request.Headers.Authorization.ToString();
    if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || authorization.Length <= "Bearer ".Length)
        return Results.Json(new { type = "error", error = new { type = "authentication_error", message = "invalid x-api-key" } }, statusCode: 401);

    var fingerprint = TokenFingerprint.Of(authorization["Bearer ".Length..]);
    if (budget.RefusedAsRevoked(fingerprint))
        return Results.Json(new { type = "error", error = new { type = "authentication_error", message = "OAuth token has been revoked." } }, statusCode: 401);
    if (budget.Spend(fingerprint) is { } retryAfter)
    {
        http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new { type = "error", error = new { type = "rate_limit_error", message = "This request would exceed your rate limit." } }, statusCode: 429);
    }
    return Results.Json(new { type = "message", content = new[] { new { type = "text", text = "ok" } } });
});

app.MapGet("/simulator/requests", () => budget.Requests);

app.MapPut("/simulator/budgets/{fingerprint}", (string fingerprint, int requestsPerWindow) =>
{
    budget.SetBudget(fingerprint, requestsPerWindow);
    return Results.NoContent();
});

app.MapPut("/simulator/revoked/{fingerprint}", (string fingerprint) =>
{
    budget.Revoke(fingerprint);
    return Results.NoContent();
});

app.MapGet("/health", () => Results.Ok());
app.Run();
