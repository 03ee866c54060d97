using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Formatting.Compact;

namespace Trinity.Hosting.Logging;

public static class LoggingRegistration
{
    /// <summary>Structured JSON to standard output, one event a line, with secrets scrubbed; levels from <c>Serilog</c> configuration.</summary>
    public static IHostApplicationBuilder AddTrinityLogging(this IHostApplicationBuilder builder, string service)
    {
        builder.Services.AddSerilog((_, logger) => logger
            .ReadFrom.Configuration(builder.Configuration)
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", Serilog.Events.LogEventLevel.Information)
            .MinimumLevel.Override("MassTransit", Serilog.Events.LogEventLevel.Information)
            .MinimumLevel.Override("System.Net.Http.HttpClient", Serilog.Events.LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Service", service)
            .Enrich.With<RedactingEnricher>()
            .WriteTo.Console(new RenderedCompactJsonFormatter()));
        return builder;
    }
}
