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
/// keeps it; they leave the process only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or its traces-only form) names a
/// collector, and only through <see cref="SecretFreeSpans"/>. The standard <c>OTEL_*</c> variables set the
/// exporter's protocol, headers and batching.
/// </summary>
public static class TracingRegistration
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string OtlpTracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    public static IHostApplicationBuilder AddTrinityTracing(this IHostApplicationBuilder builder, string service)
    {
        var export = false;
        foreach (var variable in new[] { OtlpEndpointVariable, OtlpTracesEndpointVariable })
            if (builder.Configuration[variable] is { Length: > 0 } value)
                export = CheckCollector(variable, value);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(service, serviceNamespace: "trinity", serviceInstanceId: Environment.MachineName + "/" + Environment.ProcessId))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource("MassTransit", TrinityActivities.SourceName)
                    .AddAspNetCoreInstrumentation(aspNet =>
                    {
                        aspNet.Filter = context => !IsProbe(context.Request.Path.Value);
                        aspNet.RecordException = false;
                    })
                    .AddHttpClientInstrumentation(http =>
                    {
                        http.FilterHttpRequestMessage = request => !IsProbe(request.RequestUri?.AbsolutePath);
                        http.RecordException = false;
                    });
                if (export)
                    tracing.AddProcessor(new SecretFreeSpans()).AddOtlpExporter();
            });
        return builder;
    }

    /// <summary>
    /// A collector must be named in full; a malformed value would make the exporter fall back to its default address
    /// in silence. Spans name agents and subscriptions, so they leave the machine over https only.
    /// </summary>
    static bool CheckCollector(string variable, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || !(url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && url.IsLoopback)))
            throw new InvalidOperationException($"{variable} must be an absolute https URL, or http on this machine (127.0.0.1, ::1, localhost), such as http://localhost:4318; it is not (length {value.Length}).");
        return true;
    }

    /// <summary>Scrapes and health probes every few seconds would bury the rotations: they are not traced, in or out.</summary>
    static bool IsProbe(string? path) =>
        path is not null && (path.StartsWith("/metrics", StringComparison.Ordinal) || path.StartsWith("/health", StringComparison.Ordinal)
                             || path.EndsWith("/health", StringComparison.Ordinal));
}

/// <summary>Trinity's own spans, and the W3C form in which a trace context is kept where no header can carry it (an outbox row, a queued report).</summary>
public static class TrinityActivities
{
    public const string SourceName = "Trinity";

    /// <summary>The length of a W3C <c>traceparent</c>: version, trace id, span id and flags.</summary>
    public const int TraceParentLength = 55;

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The current trace context as a W3C <c>traceparent</c>, or null outside any trace.</summary>
    public static string? CurrentParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { Length: TraceParentLength } id } ? id : null;

    /// <summary>Starts a span that continues the trace <paramref name="traceParent"/> names; null when it names none or nobody listens.</summary>
    public static Activity? StartContinuing(string name, string? traceParent, ActivityKind kind = ActivityKind.Internal) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, traceState: null, isRemote: true, out var parent)
            ? Source.StartActivity(name, kind, parent)
            : null;
}
