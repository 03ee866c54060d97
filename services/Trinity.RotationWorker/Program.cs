using Microsoft.AspNetCore.Builder;
using Trinity.Infrastructure.Bus;
using Trinity.Hosting;
using Trinity.Hosting.Endpoints;
using Trinity.Infrastructure;
using Trinity.RotationWorker;

if (await ServiceProbe.RunIfAskedAsync(args, "http://127.0.0.1:0") is { } probe)
    return probe;

var builder = WebApplication.CreateBuilder(args);
builder.AddTrinityDefaults("rotation-worker");
// Health and metrics only; a fixed port comes from ASPNETCORE_URLS.
builder.AddTrinityEndpoints("http://127.0.0.1:0");
builder.Services
    .AddTrinityDatabase(builder.Configuration)
    .AddTrinitySecrets(builder.Configuration)
    .AddRotationWorker(builder.Configuration)
    .AddTrinityBus(builder.Configuration, bus => bus.AddRotationWorkerEndpoints());

var app = builder.Build();
app.MapTrinityEndpoints();
await app.RunAsync();
return 0;
