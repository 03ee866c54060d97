using Microsoft.Extensions.Hosting;
using Trinity.ContainerManager;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddTrinityDefaults("container-manager");
builder.Services
    .AddTrinityDatabase(builder.Configuration)
    .AddTrinitySecrets(builder.Configuration)
    .AddTrinityAgentLease(builder.Configuration)
    .AddContainerManager(builder.Configuration)
    .AddTrinityBus(builder.Configuration, bus => bus.AddContainerManagerEndpoints());

await builder.Build().RunAsync();
