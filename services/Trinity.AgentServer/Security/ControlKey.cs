using Trinity.AgentProtocol;
using Trinity.Hosting.Security;

namespace Trinity.AgentServer.Security;

/// <summary>
/// An agent's control key, required by every route but health. A single agent's is given as
/// <c>TRINITY_AGENT_CONTROL_KEY</c> and removed from the process environment at start, so no turn subprocess
/// can read it. Compared in constant time.
/// </summary>
public sealed class ControlKey
{
    public const int MinimumLength = 16;
    readonly BearerKey _key;

    public ControlKey(string key)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length < MinimumLength)
            throw new InvalidOperationException($"A control key must have at least {MinimumLength} characters.");
        _key = new BearerKey(key);
    }

    /// <summary>Reads and removes the variable, so that no subprocess started later can inherit it.</summary>
    public static string? TakeFromEnvironment()
    {
        var key = Environment.GetEnvironmentVariable(AgentVariables.ControlKey);
        Environment.SetEnvironmentVariable(AgentVariables.ControlKey, null);
        return key;
    }

    public static ControlKey Required(string? key) =>
        string.IsNullOrWhiteSpace(key) || key.Length < MinimumLength
            ? throw new InvalidOperationException($"{AgentVariables.ControlKey} is required (at least {MinimumLength} characters): the agent server refuses to start without its control key.")
            : new ControlKey(key);

    public bool Matches(string? authorizationHeader) => _key.Matches(authorizationHeader);
}
