using Microsoft.Extensions.Hosting;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Hosting;
using Trinity.RotationWorker;

var builder = Host.CreateApplicationBuilder(args);
builder.AddTrinityDefaults("rotation-worker");
builder.Services
    .AddTrinityDatabase(builder.Configuration)
    .AddTrinitySecrets(builder.Configuration)
    .AddRotationWorker(builder.Configuration)
    .AddTrinityBus(builder.Configuration, bus => bus.AddRotationWorkerEndpoints());

await builder.Build().RunAsync();
