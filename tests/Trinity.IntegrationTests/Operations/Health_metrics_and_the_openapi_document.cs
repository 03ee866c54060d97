using System.Net;
using System.Text.Json;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// What a load balancer, Prometheus and an API client read from a service: liveness that needs nothing,
/// readiness that names the dependency that is down, metrics, and an OpenAPI document behind the admin key.
/// </summary>
public sealed class Health_metrics_and_the_openapi_document(Health_metrics_and_the_openapi_document.Scenario scenario)
    : IClassFixture<Health_metrics_and_the_openapi_document.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public HttpClient Api { get; private set; } = null!;
        public string WorkerUrl { get; private set; } = "";
        public string WorkerWithoutRedisUrl { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            (_, Api) = await StartApiAsync();
            WorkerUrl = $"http://127.0.0.1:{FreePort.Next()}";
            await StartContainerManagerAsync(extra: new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = WorkerUrl });
            // The same service pointed at a Redis that is not there: it starts (rotations wait), and says it is not ready.
            WorkerWithoutRedisUrl = $"http://127.0.0.1:{FreePort.Next()}";
            await StartContainerManagerAsync("container-manager-no-redis", new Dictionary<string, string?>
            {
                ["ASPNETCORE_URLS"] = WorkerWithoutRedisUrl,
                ["Trinity__Redis__Endpoint"] = $"127.0.0.1:{FreePort.Next()}",
            });
        }
    }

    static readonly string[] Routes =
        ["/api/subscriptions", "/api/subscriptions/{id}", "/api/agents", "/api/agents/{name}", "/api/agents/{name}/subscription", "/api/rotations", "/api/failures"];

    static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string url)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(url);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task Readiness_checks_rabbitmq_postgresql_and_redis()
    {
        var (status, body) = await GetAsync(scenario.WorkerUrl + "/health/ready");
        Assert.Equal(HttpStatusCode.OK, status);
        var checks = body.GetProperty("checks");
        foreach (var dependency in new[] { "masstransit-bus", "postgresql", "redis" })
            Assert.Equal("healthy", checks.GetProperty(dependency).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_service_whose_redis_is_down_is_live_but_not_ready_and_says_why()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(scenario.WorkerWithoutRedisUrl + "/health/live")).Status);
        var (status, body) = await GetAsync(scenario.WorkerWithoutRedisUrl + "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("unhealthy", body.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("checks").GetProperty("postgresql").GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_api_is_ready_and_serves_metrics_without_the_admin_key()
    {
        using var anonymous = new HttpClient { BaseAddress = scenario.Api.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("process_cpu_seconds_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_describes_every_route_and_needs_the_admin_key()
    {
        using var anonymous = new HttpClient { BaseAddress = scenario.Api.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/openapi/v1.json")).StatusCode);
        var document = JsonDocument.Parse(await scenario.Api.GetStringAsync("/api/openapi/v1.json")).RootElement;
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equivalent(Routes, paths);
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("adminKey").GetProperty("scheme").GetString());
    }
}
