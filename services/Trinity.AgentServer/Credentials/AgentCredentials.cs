using System.Runtime.Versioning;
using Trinity.Infrastructure.Logging;
using Trinity.Messaging.Contracts.Identity;

namespace Trinity.AgentServer.Credentials;

/// <summary>
/// The agent's live credential: the process environment, which every turn subprocess inherits when it is
/// spawned. A reload changes what the next turn gets; turns already running keep what they started with.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class AgentCredentials(OverrideFile overrideFile, TimeProvider clock)
{
    public const string TokenVariable = "CLAUDE_CODE_OAUTH_TOKEN";
    public const string ApiKeyVariable = "ANTHROPIC_API_KEY";
    readonly Lock _gate = new();

    public TokenSource Source { get; private set; } = TokenSource.None;
    public DateTimeOffset? ChangedAt { get; private set; }

    public string? Fingerprint => Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token ? TokenFingerprint.Of(token) : null;

    /// <summary>At start: a non-empty override file wins over the baked environment (a stop/start keeps a rotated token).</summary>
    public void Initialize()
    {
        lock (_gate)
        {
            var rotated = overrideFile.Read();
            if (rotated is not null)
            {
                Environment.SetEnvironmentVariable(TokenVariable, rotated);
                Source = TokenSource.OverrideFile;
            }
            else
            {
                Source = string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TokenVariable)) ? TokenSource.None : TokenSource.Environment;
            }
            if (Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token)
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
            Environment.SetEnvironmentVariable(TokenVariable, token);
            if (removeApiKey)
                Environment.SetEnvironmentVariable(ApiKeyVariable, null);
            Source = TokenSource.Reload;
            ChangedAt = clock.GetUtcNow();
        }
    }
}
