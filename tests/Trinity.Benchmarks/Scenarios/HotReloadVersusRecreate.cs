using System.Collections.Concurrent;
using System.Net;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.Benchmarks.Scenarios;

/// <summary>
/// Two agents in real containers, side by side, rotated through the same saga path (a reassignment published on
/// the bus, as the API does) between subscriptions A and B: <c>hot</c> on the current image (hot-reload) and
/// <c>legacy</c> on the image without the reload endpoint, so the worker falls back to a recreate — configured
/// as the reference system does it, stop and recreate without drain. Both always have two turns in flight.
/// Latency is from the publish to the agent reporting the new fingerprint live, on this process's clock.
/// </summary>
public static class HotReloadVersusRecreate
{
    sealed class Side(string name)
    {
        public string Name { get; } = name;
        public List<double> Latencies { get; } = [];
        public ConcurrentDictionary<Guid, TurnView> Turns { get; } = new();
        public ConcurrentDictionary<Guid, bool> Vanished { get; } = new();
        public AgentClient Client { get; set; } = null!;
    }

    public static Task RunAsync(int rotations) => BenchmarkSystem.RunAsync(system => MeasureAsync(system, rotations));

    static async Task MeasureAsync(BenchmarkSystem system, int rotations)
    {
        var tokens = new[] { Canary.NewToken(), Canary.NewToken() };
        var subscriptions = new[] { await system.AddSubscriptionAsync("bench-a", tokens[0]), await system.AddSubscriptionAsync("bench-b", tokens[1]) };
        var modelApi = await system.StartModelApiAsync(requestsPerWindow: 1_000_000, extra: BenchmarkSystem.Quiet);
        var turnEnvironment = new Dictionary<string, string?>
        {
            ["Trinity__Agent__Turns__Command"] = "/app/fake-claude",
            ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
            ["TRINITY_FAKE_CLI_INTERVAL_MS"] = "250",
            ["Serilog__MinimumLevel__Default"] = "Warning",
        };
        var sides = new[] { new Side("hot"), new Side("legacy") };
        foreach (var side in sides)
        {
            var agent = await system.RunContainerAgentAsync(side.Name, tokens[0], turnEnvironment,
                side.Name == "hot" ? AgentContainers.Image : AgentContainers.LegacyImage);
            await system.RegisterAgentAsync(side.Name, subscriptions[0].Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
            side.Client = agent;
        }

        var observer = await system.StartObserverAsync();
        var workerUrl = $"http://127.0.0.1:{FreePort.Next()}";
        var managerUrl = $"http://127.0.0.1:{FreePort.Next()}";
        await system.StartOrchestratorAsync(extra: BenchmarkSystem.Quiet);
        // The reference system's recreate: no drain before the stop.
        await system.StartRotationWorkerAsync(extra: BenchmarkSystem.QuietWith(("ASPNETCORE_URLS", workerUrl), ("Trinity__RotationWorker__DrainTimeout", "00:00:00")));
        await system.StartContainerManagerAsync(extra: BenchmarkSystem.QuietWith(("ASPNETCORE_URLS", managerUrl)));

        using var stop = new CancellationTokenSource();
        var keepers = sides.Select(side => KeepTurnsInFlightAsync(system, side, stop.Token)).ToList();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var profile = CpuProfile.Start();
        var inFlightAtRotation = new List<int>();

        // Two rotations each first, not counted: the first rotation of a fresh process pays for JIT compilation.
        const int warmUp = 2;
        for (var i = 1; i <= rotations + warmUp; i++)
        {
            foreach (var side in sides)
            {
                var target = subscriptions[i % 2];
                var expected = TokenFingerprint.Of(tokens[i % 2]);
                var switches = observer.Received<AgentSubscriptionSwitched>().Count(s => s.AgentName == side.Name);
                inFlightAtRotation.Add(side.Turns.Values.Count(t => t.State == "Running"));
                var started = Measure.Now();
                await observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = side.Name, SubscriptionId = target.Id, RequestedBy = "bench" });
                await WaitForFingerprintAsync(system, side, expected, pollEvery: side.Name == "hot" ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromMilliseconds(20));
                if (i > warmUp)
                    side.Latencies.Add(Measure.Milliseconds(started, Measure.Now()));
                await Eventually.Until(() => observer.Received<AgentSubscriptionSwitched>().Count(s => s.AgentName == side.Name) > switches,
                    $"{side.Name}'s rotation {i} to end", TimeSpan.FromSeconds(120));
            }
        }
        var cpu = profile.Stop(system.Processes);

        // Let the turns of the last rotation end on their own, then read how every turn ended.
        stop.Cancel();
        await Task.WhenAll(keepers);
        await Task.Delay(TimeSpan.FromSeconds(6));
        foreach (var side in sides)
            await PollTurnsAsync(system, side);

        var reloadCall = await BenchmarkSystem.HistogramAsync(workerUrl, "trinity_agent_reload_call_seconds", "answer=\"reloaded\"");
        var recreate = await BenchmarkSystem.HistogramAsync(managerUrl, "trinity_container_recreate_seconds", "outcome=\"recreated\"");
        var hot = sides[0];
        var legacy = sides[1];
        string Row(Side side, string method, double innerMeanMs, string inner) =>
            $"| {method} | {side.Latencies.Count} | {Measure.Ms(Measure.Percentile(side.Latencies, 50))} | {Measure.Ms(Measure.Percentile(side.Latencies, 95))} | {Measure.Ms(side.Latencies.Max())} | "
            + $"{Measure.Number(100 * innerMeanMs / side.Latencies.Average())} % ({inner} {Measure.Ms(innerMeanMs)} mean) | {side.Turns.Count} | {Killed(side)} |";
        var ratio = Measure.Percentile(legacy.Latencies, 50) / Measure.Percentile(hot.Latencies, 50);
        BenchmarkReport.Write("hot-reload", $"""
            ## 1. Hot-reload against recreate

            `./trinity bench hot-reload` — {rotations} reassignments per agent (after 2 not counted, to warm up), alternating A↔B, one agent on each image side by side in one run, both through the saga (publish `SubscriptionReassignmentRequested` → state machine → `ReloadToken` → worker). The recreate is the reference system's: the worker's drain timeout is 0, so the container manager stops and recreates at once. Latency: from the publish to the agent reporting the new fingerprint live (`GET /api/credentials`, polled every 1 ms for hot-reload, 20 ms for recreate), one clock. Two turns were kept in flight on each agent all along (a median of {Measure.Number(Measure.Percentile(inFlightAtRotation.Select(n => (double)n).ToList(), 50))} running at each rotation's start).

            | method | rotations | p50 | p95 | max | share in the agent call / the recreate | turns started | turns killed |
            |---|---|---|---|---|---|---|---|
            {Row(hot, "hot-reload", reloadCall.Count == 0 ? double.NaN : 1000 * reloadCall.Sum / reloadCall.Count, "reload call")}
            {Row(legacy, "recreate (no drain)", recreate.Count == 0 ? double.NaN : 1000 * recreate.Sum / recreate.Count, "docker recreate")}

            Recreate p50 / hot-reload p50 = **{Measure.Number(ratio, "0")}×** (target ≥ 50×). Hot-reload p50 target ≤ 20 ms: **{(Measure.Percentile(hot.Latencies, 50) <= 20 ? "met" : "missed")}**. Turns killed by hot-reload: **{Killed(hot)}** (target 0).

            CPU during the rotations: {CpuProfile.Describe(cpu)}.
            """);
    }

    /// <summary>Killed: ended by a signal, or in flight in a container that was replaced.</summary>
    static int Killed(Side side) => side.Turns.Values.Count(t => t.Ending == "KilledBySignal") + side.Vanished.Count;

    static async Task KeepTurnsInFlightAsync(BenchmarkSystem system, Side side, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PollTurnsAsync(system, side);
                var running = side.Turns.Values.Count(t => t.State == "Running" && !side.Vanished.ContainsKey(t.Id));
                for (var i = running; i < 2; i++)
                {
                    var turn = await side.Client.StartTurnAsync("benchmark work", durationSeconds: 5);
                    side.Turns[turn.Id] = turn;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException)
            {
                // the container is draining or being replaced
            }
            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>Reads the agent's turns; a turn last seen running that the (new) container does not know was killed with its container.</summary>
    static async Task PollTurnsAsync(BenchmarkSystem system, Side side)
    {
        using var response = await side.Client.SendAsync(HttpMethod.Get, "/api/turns");
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            await RefreshAsync(system, side);
            return;
        }
        response.EnsureSuccessStatusCode();
        var seen = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<List<TurnView>>(response.Content))!.ToDictionary(t => t.Id);
        foreach (var (id, last) in side.Turns.ToList())
        {
            if (seen.TryGetValue(id, out var now))
                side.Turns[id] = now;
            else if (last.State == "Running")
                side.Vanished[id] = true;
        }
    }

    static async Task WaitForFingerprintAsync(BenchmarkSystem system, Side side, string expected, TimeSpan pollEvery)
    {
        var deadline = Measure.Now();
        while (Measure.Milliseconds(deadline, Measure.Now()) < 120_000)
        {
            try
            {
                using var response = await side.Client.SendAsync(HttpMethod.Get, "/api/credentials");
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                    await RefreshAsync(system, side);
                else if (response.IsSuccessStatusCode
                         && (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<LiveCredential>(response.Content))!.Fingerprint == expected)
                    return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // the container is being replaced
            }
            await Task.Delay(pollEvery);
        }
        throw new TimeoutException($"{side.Name} did not report {expected} within 120 s");
    }

    /// <summary>A recreate gives the container a fresh control key: read the placement again.</summary>
    static async Task RefreshAsync(BenchmarkSystem system, Side side) => side.Client = await system.PlacedClientAsync(side.Name);
}
