using Trinity.AgentServer.Agents;
using Trinity.AgentServer.Configuration;
using Trinity.AgentServer.Credentials;
using Trinity.AgentServer.Fleet;
using Trinity.AgentServer.Security;
using Trinity.AgentServer.Turns;

namespace Trinity.AgentServer;

public static class AgentServerRegistration
{
    /// <summary>One agent on the process environment (production), or every agent of a fleet file, each isolated.</summary>
    public static AgentRegistry BuildAgents(AgentServerOptions options, TurnOptions turns, string? controlKey, TimeProvider clock, ILoggerFactory logs)
    {
        if (options.FleetFile is null)
        {
            var environment = new ProcessEnvironment();
            var agent = Runtime("agent", ControlKey.Required(controlKey), environment, new OverrideFile(options.OverrideFile));
            return new AgentRegistry([agent]);
        }

        return new AgentRegistry(FleetFile.Load(options.FleetFile).Select(entry => Runtime(
            entry.Name,
            new ControlKey(entry.ControlKey),
            new IsolatedEnvironment(new Dictionary<string, string?> { [AgentCredentials.TokenVariable] = entry.Token }),
            new OverrideFile(Path.Combine(options.FleetOverrideDirectory, entry.Name, "oauth-token")))));

        AgentRuntime Runtime(string name, ControlKey key, AgentEnvironment environment, OverrideFile overrideFile)
        {
            var credentials = new AgentCredentials(environment, overrideFile, clock);
            credentials.Initialize();
            return new AgentRuntime(name, key, credentials, new TurnRunner(environment, turns, clock, logs.CreateLogger($"Trinity.AgentServer.Turns.{name}")));
        }
    }
}
