namespace Trinity.AgentProtocol;

/// <summary>The routes of an agent server, relative to its base URL (in fleet mode, <c>{server}/agents/{name}</c>).</summary>
public static class AgentPaths
{
    /// <summary>The reference platform's endpoint, exactly: <c>{"token", "remove_api_key"}</c> → <c>{"status": "success", "reloaded": true}</c>.</summary>
    public const string ReloadToken = "/api/credentials/reload-token";
    public const string Credentials = "/api/credentials";
    public const string Turns = "/api/turns";
    public const string RunningTurns = "/api/turns?state=running";
    public const string Drain = "/api/drain";
    public const string Resume = "/api/resume";
    public const string Health = "/health";

    public static Uri On(string baseUrl, string path) => new($"{baseUrl.TrimEnd('/')}{path}", UriKind.Absolute);
}
