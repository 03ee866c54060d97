using Microsoft.Extensions.Hosting;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Hosting;
using Trinity.Orchestrator;

var builder = Host.CreateApplicationBuilder(args);
builder.AddTrinityDefaults("orchestrator");
builder.Services
    .AddTrinityDatabase(builder.Configuration)
    .AddTrinityOutbox(builder.Configuration)
    .AddTrinityAgentLease(builder.Configuration)
    .AddOrchestrator(builder.Configuration)
    .AddTrinityBus(builder.Configuration, bus => bus.AddOrchestratorEndpoints());

await builder.Build().RunAsync();
