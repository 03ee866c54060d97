using Trinity.AgentProtocol;
using Trinity.Api;
using Trinity.Api.Agents;
using Trinity.Api.Configuration;
using Trinity.Api.Failures;
using Trinity.Api.Outbox;
using Trinity.Api.Security;
using Trinity.Api.Subscriptions;
using Trinity.Hosting;
using Trinity.Hosting.Endpoints;
using Trinity.Infrastructure;
using Trinity.Infrastructure.AgentNetwork;
using Trinity.Infrastructure.Bus;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Messages;

if (await ServiceProbe.RunIfAskedAsync(args, "http://127.0.0.1:8080") is { } probe)
    return probe;

var builder = WebApplication.CreateBuilder(args);
builder.AddTrinityDefaults("api");
builder.AddTrinityEndpoints("http://127.0.0.1:8080");
builder.Services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.Section)).ValidateDataAnnotations()
    .Validate(o => NewKeyCheck.IsBaseUrlOrEmpty(o.KeyCheckUrl),
        "Trinity:Api:KeyCheckUrl is the model API's base URL, such as https://api.anthropic.com (https, or http to a loopback address; no query; /v1/messages is added), or empty for no check.")
    .ValidateOnStart();
builder.Services
    .AddTrinityDatabase(builder.Configuration)
    .AddTrinitySecrets(builder.Configuration)
    .AddTrinityOutbox(builder.Configuration)
    // Only for readiness and the agent's lease holder: the API takes no lease.
    .AddTrinityAgentLease(builder.Configuration)
    // Adoption asks the container manager of the host, the only Docker user there, what the running containers hold.
    .AddTrinityBus(builder.Configuration, _ => { });
builder.Services.AddProblemDetails();
// A body that does not bind throws, so that BadRequestBodies can name the field.
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Services.AddExceptionHandler<BadRequestBodies>();
builder.Services.AddOpenApi(options => options.AddDocumentTransformer<AdminKeySecurityScheme>());
builder.Services.AddTrinityAgentNetwork(builder.Configuration)
    .AddHttpClient<AgentProtocolClient>(http => http.Timeout = TimeSpan.FromSeconds(3)).CallsAgentsOnly();
builder.Services.AddHttpClient<NewKeyCheck>(http => http.Timeout = TimeSpan.FromSeconds(10))
    .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });

var app = builder.Build();
app.UseExceptionHandler();
app.MapTrinityEndpoints();
var api = app.MapGroup("/api").AddEndpointFilter<RequireAdminKey>();
api.MapOpenApi("/openapi/{documentName}.json");
api.MapSubscriptionRoutes()
    .MapAgentRoutes()
    .MapAdoptionRoutes()
    .MapMoveRoutes()
    .MapFailureRoutes()
    .MapOutboxRoutes();
await app.RunAsync();
return 0;
