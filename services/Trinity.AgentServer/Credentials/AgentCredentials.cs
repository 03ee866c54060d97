using Trinity.AgentProtocol;
using Trinity.Hosting.Logging;
using Trinity.Messaging.Contracts.Identity;

namespace Trinity.AgentServer.Credentials;

/// <summary>
/// An agent's live credential. A reload changes what the next turn gets; turns already running keep what
/// they started with, because a subprocess copies its environment when it is spawned.
/// </summary>
public sealed class AgentCredentials(AgentEnvironment environment, OwnerOnlyFile overrideFile, TimeProvider clock)
{
    readonly Lock _gate = new();

    public AgentEnvironment Environment { get; } = environment;
    public TokenSource Source { get; private set; } = TokenSource.None;
    public DateTimeOffset? ChangedAt { get; private set; }

    /// <summary>Reloads accepted since start: what a test counts to prove one switch reached the agent once.</summary>
    public int Reloads { get; private set; }

    public string? Fingerprint => Environment.Get(AgentVariables.Token) is { Length: > 0 } token ? TokenFingerprint.Of(token) : null;

    /// <summary>At start: a non-empty override file wins over the baked environment (a stop/start keeps a rotated token).</summary>
    public void Initialize()
    {
        lock (_gate)
        {
            var rotated = overrideFile.Read();
            if (rotated is not null)
            {
                Environment.Set(AgentVariables.Token, rotated);
                Source = TokenSource.OverrideFile;
            }
            else
            {
                Source = string.IsNullOrEmpty(Environment.Get(AgentVariables.Token)) ? TokenSource.None : TokenSource.Environment;
            }
            if (Environment.Get(AgentVariables.Token) is { Length: > 0 } token)
                SecretRedaction.Register(token);
            ChangedAt = clock.GetUtcNow();
        }
    }

    /// <summary>Swaps the token for every turn started from now on. Never rewrites <c>.env</c> or any other config file.</summary>
    public void Reload(string token, bool removeApiKey)
    {
        lock (_gate)
        {
            SecretRedaction.Register(token);
            overrideFile.Write(token);
            Environment.Set(AgentVariables.Token, token);
            if (removeApiKey)
                Environment.Set(AgentVariables.ApiKey, null);
            Source = TokenSource.Reload;
            ChangedAt = clock.GetUtcNow();
            Reloads++;
        }
    }
}
