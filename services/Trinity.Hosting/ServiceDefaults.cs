using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Trinity.Hosting.Faults;
using Trinity.Hosting.Logging;
using Trinity.Hosting.Tracing;

namespace Trinity.Hosting;

/// <summary>
/// What every Trinity process wires the same way, in the manner of eShop's ServiceDefaults: logs with secrets
/// redacted, traces, the clock, and the fault-injection points the fault tests use. The services add their health and
/// metrics endpoints with <see cref="Endpoints.ServiceEndpoints"/>.
/// </summary>
public static class ServiceDefaults
{
    public static IHostApplicationBuilder AddTrinityDefaults(this IHostApplicationBuilder builder, string service)
    {
        builder.AddTrinityLogging(service);
        builder.AddTrinityTracing(service);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddTrinityFaultPoints(builder.Configuration);
        return builder;
    }

    public static IServiceCollection AddTrinityFaultPoints(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FaultInjectionOptions>().Bind(configuration.GetSection(FaultInjectionOptions.Section));
        return services.AddSingleton<FaultPoints>();
    }
}
