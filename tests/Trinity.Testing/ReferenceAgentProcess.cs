using System.Net.Http.Json;

namespace Trinity.Testing;

/// <summary>What one reload carried, as the Python reference agent recorded it: field names, the flag, the token's fingerprint.</summary>
public sealed record ReceivedReload(IReadOnlyList<string> Fields, [property: System.Text.Json.Serialization.JsonPropertyName("remove_api_key")] bool RemoveApiKey, string Fingerprint);

/// <summary>
/// The independent Python implementation of the reference agent endpoint (<c>tests/reference-agent</c>), as a process
/// on its own loopback port with its override file in the test's log directory.
/// </summary>
public sealed class ReferenceAgentProcess : IAsyncDisposable
{
    readonly HttpClient _http = new();

    ReferenceAgentProcess(ServiceProcess process, string baseUrl, string overrideFile) =>
        (Process, BaseUrl, OverrideFile) = (process, baseUrl, overrideFile);

    public ServiceProcess Process { get; }
    public string BaseUrl { get; }
    public string OverrideFile { get; }

    public static async Task<ReferenceAgentProcess> StartAsync(string name, string bakedToken, string logDirectory)
    {
        var port = FreePort.Next();
        var overrideFile = Path.Combine(Directory.CreateDirectory(Path.Combine(logDirectory, $"reference-{name}")).FullName, "oauth-token");
        var process = ServiceProcess.StartExecutable("python3", [Path.Combine(RepositoryPaths.Root, "tests", "reference-agent", "reference_agent.py")],
            $"reference-{name}", new Dictionary<string, string?>
            {
                ["AGENT_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["OVERRIDE_FILE"] = overrideFile,
                ["CLAUDE_CODE_OAUTH_TOKEN"] = bakedToken,
            }, logDirectory, "listening on");
        await process.WaitUntilStartedAsync();
        return new ReferenceAgentProcess(process, $"http://127.0.0.1:{port}", overrideFile);
    }

    public async Task<IReadOnlyList<ReceivedReload>> ReceivedAsync() =>
        await _http.GetFromJsonAsync<List<ReceivedReload>>($"{BaseUrl}/test/received") ?? [];

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Process.DisposeAsync();
    }
}
