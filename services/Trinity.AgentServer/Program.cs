using Trinity.AgentServer;
using Trinity.AgentServer.Agents;
using Trinity.AgentServer.Configuration;
using Trinity.AgentServer.Security;
using Trinity.AgentServer.Turns;
using Trinity.Hosting;

if (!OperatingSystem.IsLinux())
    throw new PlatformNotSupportedException("The agent server runs on Linux.");

// Before anything else runs: no turn can read this process's environment, memory or attach to it, and no turn
// subprocess inherits the control key.
NonDumpable.Apply();
var controlKey = ControlKey.TakeFromEnvironment();

var builder = WebApplication.CreateBuilder(args);
builder.AddTrinityDefaults("agent-server");
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:8000");
var options = builder.Configuration.GetSection(AgentServerOptions.Section).Get<AgentServerOptions>() ?? new AgentServerOptions();
var turns = builder.Configuration.GetSection($"{AgentServerOptions.Section}:Turns").Get<TurnOptions>() ?? new TurnOptions();
builder.Services.AddSingleton(provider => AgentServerRegistration.BuildAgents(options, turns, controlKey,
    provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILoggerFactory>()));
builder.Services.AddProblemDetails();

var app = builder.Build();
var agents = app.Services.GetRequiredService<AgentRegistry>();
app.MapGet("/health", () => Results.Ok(new { status = "healthy", agents = agents.Count }));
app.MapAgentRoutes(options.FleetFile is null ? "" : "/agents/{agent}", options.ReloadEndpoint);
app.Run();
