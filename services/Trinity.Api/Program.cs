using Trinity.Api;
using Trinity.Api.Agents;
using Trinity.Api.Failures;
using Trinity.Api.Security;
using Trinity.Api.Subscriptions;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddTrinityDefaults("api");
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:8080");
builder.Services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
builder.Services
    .AddTrinityDatabase(builder.Configuration)
    .AddTrinitySecrets(builder.Configuration)
    .AddTrinityOutbox(builder.Configuration)
    .AddTrinityBus(builder.Configuration, _ => { });
builder.Services.AddProblemDetails();
builder.Services.AddHttpClient("agents", http => http.Timeout = TimeSpan.FromSeconds(3));

var app = builder.Build();
app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
app.MapGroup("/api").AddEndpointFilter<RequireAdminKey>()
    .MapSubscriptionRoutes()
    .MapAgentRoutes()
    .MapFailureRoutes();
app.Run();
