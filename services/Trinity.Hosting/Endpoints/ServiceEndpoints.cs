using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace Trinity.Hosting.Endpoints;

/// <summary>
/// The HTTP side every service has: <c>/health/live</c> (the process runs), <c>/health/ready</c> (RabbitMQ,
/// PostgreSQL and Redis — those the service uses — answer, and every receive endpoint has its consumer on the broker) and <c>/metrics</c> (Prometheus text, with
/// <c>trinity_service_ready</c> read from the same checks at each scrape). It binds
/// the configured URL (<c>ASPNETCORE_URLS</c> or <c>urls</c>), or the service's default on loopback.
/// </summary>
public static class ServiceEndpoints
{
    public const string ReadyTag = "ready";

    /// <summary>The longest a scrape waits for the readiness checks: a dependency that hangs reads as not ready, within Prometheus' scrape timeout.</summary>
    static readonly TimeSpan ReadinessAtScrape = TimeSpan.FromSeconds(5);

    static readonly Gauge Ready = Metrics.CreateGauge("trinity_service_ready",
        "1 when the service's readiness checks pass at this scrape (what /health/ready answers with 200), 0 otherwise.");

    public static WebApplicationBuilder AddTrinityEndpoints(this WebApplicationBuilder builder, string defaultUrl)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
            builder.WebHost.UseUrls(defaultUrl);
        builder.Services.AddHealthChecks();
        // Process metrics, but not the event-counter and meter adapters, which cost CPU in every process all the time.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true, SuppressDebugMetrics = true });
        return builder;
    }

    public static WebApplication MapTrinityEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        // Degraded is not ready: it is what MassTransit reports while its receive endpoints have no consumer on the
        // broker (the broker down, or reconnecting after it came back), and ASP.NET Core would answer it with 200.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        var health = app.Services.GetRequiredService<HealthCheckService>();
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async cancellationToken =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ReadinessAtScrape);
            try
            {
                var report = await health.CheckHealthAsync(check => check.Tags.Contains(ReadyTag), timeout.Token);
                Ready.Set(report.Status == HealthStatus.Healthy ? 1 : 0);
            }
            catch (Exception)
            {
                // A hung check (cancelled) or one that throws: prometheus-net would swallow the exception and serve the last value.
                Ready.Set(0);
            }
        });
        app.MapMetrics("/metrics");
        return app;
    }

    /// <summary>Each check's name and status, and the description it chose — never an exception's text, which can carry a connection string.</summary>
    static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString().ToLowerInvariant(), description = e.Value.Description }),
        }));
    }
}
