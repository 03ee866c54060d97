using Microsoft.AspNetCore.Builder;
using Trinity.Hosting;
using Trinity.Hosting.Endpoints;
using Trinity.Infrastructure;
using Trinity.Infrastructure.Bus;
using Trinity.Orchestrator;

if (await ServiceProbe.RunIfAskedAsync(args, "http://127.0.0.1:0") is { } probe)
    return probe;

var builder = WebApplication.CreateBuilder(args);
builder.AddTrinityDefaults("orchestrator");
// Health and metrics only; a fixed port comes from ASPNETCORE_URLS.
builder.AddTrinityEndpoints("http://127.0.0.1:0");
builder.Services
    .AddTrinityDatabase(builder.Configuration)
    .AddTrinityOutbox(builder.Configuration)
    .AddTrinityAgentLease(builder.Configuration)
    .AddOrchestrator(builder.Configuration)
    .AddTrinityBus(builder.Configuration, bus => bus.AddOrchestratorEndpoints());

var app = builder.Build();
app.MapTrinityEndpoints();
await app.RunAsync();
return 0;
