using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Testing;

namespace Trinity.Benchmarks;

/// <summary>
/// The system a scenario measures: the test fixture's own (virtual host, database, Redis prefix, keys and the
/// real service processes), with logs at Warning so logging is not what is measured.
/// </summary>
public sealed class BenchmarkSystem : TrinityTestSystem
{
    /// <summary>A fresh system for one scenario, removed afterwards whatever happens.</summary>
    public static async Task RunAsync(Func<BenchmarkSystem, Task> measure)
    {
        var system = new BenchmarkSystem();
        await system.InitializeAsync();
        try
        {
            await measure(system);
        }
        finally
        {
            await system.DisposeAsync();
        }
    }

    /// <summary>Services log warnings only (TRINITY_BENCH_LOG_LEVEL=Information to see where the time goes, at a cost).</summary>
    public static readonly Dictionary<string, string?> Quiet = new()
    {
        ["Serilog__MinimumLevel__Default"] = Environment.GetEnvironmentVariable("TRINITY_BENCH_LOG_LEVEL") ?? "Warning",
    };

    public static Dictionary<string, string?> QuietWith(params (string Key, string? Value)[] settings)
    {
        var environment = new Dictionary<string, string?>(Quiet);
        foreach (var (key, value) in settings)
            environment[key] = value;
        return environment;
    }

    public const string WarmUpAgent = "warm-up";

    /// <summary>
    /// The measured agents, served by one agent server in fleet mode and registered on <paramref name="subscriptionId"/>
    /// in one transaction (the API's path, one at a time, is not what is measured), plus <see cref="WarmUpAgent"/> on a
    /// subscription of its own, which a scenario rotates once, unmeasured: a fresh process pays for JIT compilation once.
    /// </summary>
    public async Task<(FleetAgentServer Fleet, Subscription WarmUp)> StartFleetAsync(IReadOnlyList<string> names, string token, Guid subscriptionId)
    {
        var warmToken = Canary.NewToken();
        var warmUp = await AddSubscriptionAsync("bench-warm-up", warmToken);
        var fleet = await StartFleetAsync(names.Select(n => (n, (string?)token)).Append((WarmUpAgent, warmToken)));
        await using (var db = NewDbContext())
        {
            var now = DateTimeOffset.UtcNow;
            db.Agents.AddRange(fleet.Agents.Where(a => a.AgentName != WarmUpAgent).Select(a => new Agent
            {
                Name = a.AgentName,
                SubscriptionId = subscriptionId,
                BaseUrl = a.BaseUrl,
                EncryptedControlKey = Cipher.Encrypt(a.ControlKey),
                CreatedAt = now,
                UpdatedAt = now,
            }));
            await db.SaveChangesAsync();
        }
        await RegisterAgentAsync(WarmUpAgent, warmUp.Id, fleet[WarmUpAgent].BaseUrl, fleet[WarmUpAgent].ControlKey);
        return (fleet, warmUp);
    }

    /// <summary>The sum and count of a Prometheus histogram series, scraped from a service's <c>/metrics</c>.</summary>
    public static async Task<(double Sum, double Count)> HistogramAsync(string baseUrl, string metric, string labels)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(baseUrl + "/metrics");
        double Value(string suffix) => Regex.Match(text, $@"^{metric}_{suffix}\{{{Regex.Escape(labels)}\}} (\S+)$", RegexOptions.Multiline) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : 0;
        return (Value("sum"), Value("count"));
    }

    public async Task<int> CountAsync(Func<Trinity.Infrastructure.Persistence.TrinityDbContext, Task<int>> query)
    {
        await using var db = NewDbContext();
        return await query(db);
    }

    public async Task<DateTimeOffset?> LastFailureRecordedAtAsync()
    {
        await using var db = NewDbContext();
        return await db.Failures.MaxAsync(f => (DateTimeOffset?)f.RecordedAt);
    }
}
