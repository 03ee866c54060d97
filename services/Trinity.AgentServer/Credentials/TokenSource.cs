namespace Trinity.AgentServer.Credentials;

public enum TokenSource
{
    None,

    /// <summary>Baked into the container's environment at create time.</summary>
    Environment,

    /// <summary>Read from the override file at start: a token rotated before a stop/start.</summary>
    OverrideFile,

    /// <summary>Set by a hot-reload while running.</summary>
    Reload,
}
