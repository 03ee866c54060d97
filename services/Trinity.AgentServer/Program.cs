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
var options = builder.Configuration.GetSection(AgentServerOptions.Section).Get<AgentServerOptions>() ?? new AgentServerOptions();
// Host networking gives every agent its own port: AGENT_PORT, as the reference platform's start scripts set it, wins.
if (builder.Configuration["AGENT_PORT"] is { Length: > 0 } port)
    builder.WebHost.UseUrls($"http://127.0.0.1:{int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)}");
else if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls("http://127.0.0.1:8000");
var reference = options.Protocol == AgentProtocolFlavour.Reference;
if (reference && options.FleetFile is not null)
    throw new InvalidOperationException("Trinity:Agent:Protocol Reference serves one agent, as the reference platform's agent server does: no fleet file.");
// The reference agent has no control key: a key no one holds stands in for it, and no route asks for it.
if (reference)
    controlKey ??= Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
var turns = builder.Configuration.GetSection($"{AgentServerOptions.Section}:Turns").Get<TurnOptions>() ?? new TurnOptions();
builder.Services.AddSingleton(provider => AgentServerRegistration.BuildAgents(options, turns, controlKey,
    provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILoggerFactory>()));
builder.Services.AddProblemDetails();

var app = builder.Build();
var agents = app.Services.GetRequiredService<AgentRegistry>();
app.MapGet("/health", () => Results.Ok(new { status = "healthy", agents = agents.Count }));
if (reference)
    app.MapReferenceRoutes();
else
    app.MapAgentRoutes(options.FleetFile is null ? "" : "/agents/{agent}", options.ReloadEndpoint);
app.Run();
