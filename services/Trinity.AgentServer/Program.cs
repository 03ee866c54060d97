using Trinity.AgentServer;
using Trinity.AgentServer.Credentials;
using Trinity.AgentServer.Security;
using Trinity.Infrastructure.Hosting;

if (!OperatingSystem.IsLinux())
    throw new PlatformNotSupportedException("The agent server runs on Linux.");

// Taken before anything else can copy the environment: no turn subprocess may inherit it.
var controlKey = ControlKey.TakeFromEnvironment();

var builder = WebApplication.CreateBuilder(args);
builder.AddTrinityDefaults("agent-server");
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:8000");
var options = builder.Configuration.GetSection(AgentServerOptions.Section).Get<AgentServerOptions>() ?? new AgentServerOptions();
builder.Services.AddSingleton(controlKey);
builder.Services.AddSingleton(new OverrideFile(options.OverrideFile));
builder.Services.AddSingleton<AgentCredentials>();
builder.Services.AddProblemDetails();

var app = builder.Build();
app.Services.GetRequiredService<AgentCredentials>().Initialize();
app.MapGet("/health", () => Results.Ok(new { status = "healthy" }));
app.MapCredentialRoutes();
app.Run();
