using Trinity.AgentProtocol;
using System.Collections.Concurrent;

namespace Trinity.AgentServer.Credentials;

/// <summary>
/// Where an agent's credential variables live. A single-agent server keeps them in its own process
/// environment (what production runs); fleet mode keeps one isolated set per agent. Either way a turn's
/// subprocess gets the values as they are at the moment it is spawned.
/// </summary>
public abstract class AgentEnvironment
{
    public abstract string? Get(string variable);

    public abstract void Set(string variable, string? value);

    /// <summary>Writes this agent's credential variables into a subprocess's environment (a null value removes the variable).</summary>
    public void ApplyTo(IDictionary<string, string?> environment)
    {
        foreach (var variable in new[] { AgentVariables.Token, AgentVariables.ApiKey })
        {
            if (Get(variable) is { } value)
                environment[variable] = value;
            else
                environment.Remove(variable);
        }
    }
}

/// <summary>The server's own process environment: every subprocess started afterwards inherits a change.</summary>
public sealed class ProcessEnvironment : AgentEnvironment
{
    public override string? Get(string variable) => Environment.GetEnvironmentVariable(variable);

    public override void Set(string variable, string? value) => Environment.SetEnvironmentVariable(variable, value);
}

/// <summary>One fleet agent's variables, separate from every other agent's and from the process's.</summary>
public sealed class IsolatedEnvironment(IReadOnlyDictionary<string, string?> initial) : AgentEnvironment
{
    readonly ConcurrentDictionary<string, string> _values = new(initial.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Key, p.Value!)));

    public override string? Get(string variable) => _values.TryGetValue(variable, out var value) ? value : null;

    public override void Set(string variable, string? value)
    {
        if (value is null)
            _values.TryRemove(variable, out _);
        else
            _values[variable] = value;
    }
}
