using System.Security.Cryptography;
using System.Text;

namespace Trinity.AgentServer.Security;

/// <summary>
/// The agent's control key: given as <c>TRINITY_AGENT_CONTROL_KEY</c> and removed from the process
/// environment at start, so no turn subprocess can read it. Compared in constant time.
/// </summary>
public sealed class ControlKey
{
    public const string Variable = "TRINITY_AGENT_CONTROL_KEY";
    readonly byte[] _key;

    ControlKey(string key) => _key = Encoding.UTF8.GetBytes(key);

    public static ControlKey TakeFromEnvironment()
    {
        var key = Environment.GetEnvironmentVariable(Variable);
        Environment.SetEnvironmentVariable(Variable, null);
        if (string.IsNullOrWhiteSpace(key) || key.Length < 16)
            throw new InvalidOperationException($"{Variable} is required (at least 16 characters): the agent server refuses to start without its control key.");
        return new ControlKey(key);
    }

    public bool Matches(string? authorizationHeader)
    {
        const string scheme = "Bearer ";
        if (authorizationHeader is null || !authorizationHeader.StartsWith(scheme, StringComparison.Ordinal))
            return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorizationHeader[scheme.Length..].Trim()), _key);
    }
}
