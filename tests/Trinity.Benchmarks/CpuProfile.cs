using System.Globalization;
using Trinity.Testing;

namespace Trinity.Benchmarks;

/// <summary>
/// Where the CPU went during a measured window: every process on the host, from <c>/proc/*/stat</c>, grouped
/// under the names of the services this run started (others by their command name: beam.smp is RabbitMQ).
/// </summary>
public sealed class CpuProfile
{
    const double TicksPerSecond = 100;
    readonly Dictionary<int, (string Name, long Ticks)> _start;
    readonly long _startedAt = Measure.Now();

    CpuProfile(Dictionary<int, (string Name, long Ticks)> start) => _start = start;

    public static CpuProfile Start() => new(Snapshot());

    /// <summary>CPU seconds per process group since <see cref="Start"/>, busiest first, and the window's length.</summary>
    public (IReadOnlyList<(string Name, double CpuSeconds)> Groups, double WindowSeconds) Stop(IEnumerable<ServiceProcess> services)
    {
        var window = Measure.Milliseconds(_startedAt, Measure.Now()) / 1000;
        var names = services.ToDictionary(s => s.Id, s => s.Name);
        names[Environment.ProcessId] = "benchmark driver";
        var groups = Snapshot()
            .Select(p => (Name: names.TryGetValue(p.Key, out var service) ? service : p.Value.Name,
                Seconds: (p.Value.Ticks - (_start.TryGetValue(p.Key, out var before) ? before.Ticks : 0)) / TicksPerSecond))
            .GroupBy(p => p.Name)
            .Select(g => (g.Key, g.Sum(p => p.Seconds)))
            .Where(g => g.Item2 > 0.05)
            .OrderByDescending(g => g.Item2)
            .ToList();
        return (groups, window);
    }

    public static string Describe((IReadOnlyList<(string Name, double CpuSeconds)> Groups, double WindowSeconds) profile, int top = 6) =>
        string.Join(", ", profile.Groups.Take(top).Select(g =>
            $"{g.Name} {Measure.Number(g.CpuSeconds, "0.0")} s ({Measure.Number(100 * g.CpuSeconds / profile.WindowSeconds)} % of a core)"))
        + $" — over {Measure.Number(profile.WindowSeconds, "0.0")} s on {Environment.ProcessorCount} cores";

    static Dictionary<int, (string Name, long Ticks)> Snapshot()
    {
        var snapshot = new Dictionary<int, (string Name, long Ticks)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                // fields[0] is the state; utime and stime are the 14th and 15th fields of the line (11 and 12 here).
                snapshot[pid] = (name, long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // the process ended while we looked
            }
        }
        return snapshot;
    }
}
