using System.Net.Http.Json;

namespace Trinity.Testing;

public sealed record SimulatedRequest(string Fingerprint, DateTimeOffset At, int Status);

/// <summary>The model-API stand-in as a process on a free loopback port.</summary>
public sealed class ModelApiSimulatorProcess(ServiceProcess process, string baseUrl) : IDisposable
{
    readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl) };

    public ServiceProcess Process { get; } = process;
    public string BaseUrl { get; } = baseUrl;

    public static async Task<ModelApiSimulatorProcess> StartAsync(Func<string, string, IReadOnlyDictionary<string, string?>, ServiceProcess> start,
        int requestsPerWindow = 1000, TimeSpan? window = null)
    {
        var port = FreePort.Next();
        var process = start("Trinity.ModelApiSimulator", "model-api-simulator", new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Simulator__RequestsPerWindow"] = requestsPerWindow.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Simulator__Window"] = (window ?? TimeSpan.FromMinutes(1)).ToString(),
        });
        await process.WaitUntilStartedAsync();
        return new ModelApiSimulatorProcess(process, $"http://127.0.0.1:{port}");
    }

    public async Task<IReadOnlyList<SimulatedRequest>> RequestsAsync() =>
        await _http.GetFromJsonAsync<List<SimulatedRequest>>("/simulator/requests") ?? [];

    public async Task SetBudgetAsync(string fingerprint, int requestsPerWindow) =>
        (await _http.PutAsync($"/simulator/budgets/{fingerprint}?requestsPerWindow={requestsPerWindow}", null)).EnsureSuccessStatusCode();

    /// <summary>The token is refused with 401 from now on, as the provider refuses a revoked one.</summary>
    public async Task RevokeAsync(string fingerprint) =>
        (await _http.PutAsync($"/simulator/revoked/{fingerprint}", null)).EnsureSuccessStatusCode();

    public void Dispose() => _http.Dispose();
}
