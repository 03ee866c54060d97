using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Trinity.Hosting.Tracing;

/// <summary>
/// One trace per rotation: MassTransit carries the context in its message headers, HttpClient in
/// <c>traceparent</c>, and the outbox in each row (<see cref="TrinityActivities"/>). Activities are always
/// recorded, so every log line written in one carries its trace id (Serilog's <c>@tr</c>) and the rotation history
/// keeps it; they leave the process only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names a collector (the standard
/// <c>OTEL_*</c> variables set its protocol, headers and batching).
/// </summary>
public static class TracingRegistration
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IHostApplicationBuilder AddTrinityTracing(this IHostApplicationBuilder builder, string service)
    {
        var export = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(service, serviceNamespace: "trinity", serviceInstanceId: Environment.MachineName + "/" + Environment.ProcessId))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource("MassTransit", TrinityActivities.SourceName)
                    .AddAspNetCoreInstrumentation(aspNet => aspNet.Filter = context => !IsProbe(context.Request.Path))
                    .AddHttpClientInstrumentation();
                if (export)
                    tracing.AddOtlpExporter();
            });
        return builder;
    }

    /// <summary>Scrapes and health probes every few seconds would bury the rotations: they are not traced.</summary>
    static bool IsProbe(PathString path) => path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health");
}

/// <summary>Trinity's own spans, and the W3C form in which a trace context is kept where no header can carry it (an outbox row, a queued report).</summary>
public static class TrinityActivities
{
    public const string SourceName = "Trinity";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The current trace context as a W3C <c>traceparent</c>, or null outside any trace.</summary>
    public static string? CurrentParent() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>Starts a span that continues the trace <paramref name="traceParent"/> names; null when it names none or nobody listens.</summary>
    public static Activity? StartContinuing(string name, string? traceParent, ActivityKind kind = ActivityKind.Internal) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, traceState: null, out var parent)
            ? Source.StartActivity(name, kind, parent)
            : null;
}
