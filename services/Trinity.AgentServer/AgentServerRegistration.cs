using Trinity.AgentProtocol;
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
            var baked = long.TryParse(Environment.GetEnvironmentVariable(AgentVariables.Fence), out var fence) ? fence : 0;
            var agent = Runtime("agent", ControlKey.Required(controlKey), environment, new OwnerOnlyFile(options.OverrideFile), baked);
            return new AgentRegistry([agent]);
        }

        return new AgentRegistry(FleetFile.Load(options.FleetFile).Select(entry => Runtime(
            entry.Name,
            new ControlKey(entry.ControlKey),
            new IsolatedEnvironment(new Dictionary<string, string?> { [AgentVariables.Token] = entry.Token }),
            new OwnerOnlyFile(Path.Combine(options.FleetOverrideDirectory, entry.Name, "oauth-token")),
            baked: 0)));

        AgentRuntime Runtime(string name, ControlKey key, AgentEnvironment environment, OwnerOnlyFile overrideFile, long baked)
        {
            var credentials = new AgentCredentials(environment, overrideFile, clock);
            credentials.Initialize();
            // The fence lives beside the override file: in the container's writable layer, like it.
            var fence = new AcceptedFence(new OwnerOnlyFile(Path.Combine(Path.GetDirectoryName(overrideFile.Path)!, "fence")), baked);
            return new AgentRuntime(name, key, credentials, fence, new TurnRunner(environment, turns, clock, logs.CreateLogger($"Trinity.AgentServer.Turns.{name}")));
        }
    }
}
