using Trinity.Benchmarks.Scenarios;

// `make bench` runs them all; `./trinity bench <scenario>` one. Each writes its section of docs/benchmarks.md.
// Bounded: every scenario has fixed counts and time limits, and runs on loopback against the local services.
var scenarios = new Dictionary<string, Func<Task>>
{
    ["hot-reload"] = () => HotReloadVersusRecreate.RunAsync(rotations: Setting("TRINITY_BENCH_ROTATIONS", 30)),
    ["burst"] = () => Burst.RunAsync(agents: Setting("TRINITY_BENCH_AGENTS", 500), reportsPerAgent: Setting("TRINITY_BENCH_REPORTS", 5)),
    ["rollover"] = () => RolloverFanOut.RunAsync(agents: Setting("TRINITY_BENCH_FLEET", 1000)),
    ["ceiling"] = () => Ceiling.RunAsync(messages: 20_000, databaseWindow: TimeSpan.FromSeconds(10)),
};

var chosen = args is [] or ["all"] ? scenarios.Keys.ToList() : args.ToList();
if (chosen.FirstOrDefault(name => !scenarios.ContainsKey(name)) is { } unknown)
{
    Console.Error.WriteLine($"trinity bench: unknown scenario '{unknown}'; one of: all, {string.Join(", ", scenarios.Keys)}.");
    return 2;
}
foreach (var name in chosen)
{
    Console.Error.WriteLine($"[bench] {name}");
    await scenarios[name]();
}
return 0;

static int Setting(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;
