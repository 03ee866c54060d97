using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Chaos;

/// <summary>
/// One fault the run injected: its kind, what it hit and the evidence that it did, and its recovery — from the fault
/// cleared (the restart begun, the node started) until a switch asked for through the API after it has succeeded.
/// Null when none did within <see cref="ChaosFaults.RecoveryLimit"/>: a violation.
/// </summary>
public sealed record InjectedFault(TimeSpan At, string Kind, string Target, bool Hit, string Evidence, TimeSpan? Recovery)
{
    /// <summary>From its injection to the end of its probe: the next fault waits at least this long.</summary>
    public TimeSpan Took { get; init; }
}

/// <summary>
/// The faults of the matrix, one at a time, every 10 to 20 s (the next waits for the last to recover), each kind once
/// in a seeded random order before any comes again:
/// a SIGKILL of a service replica (restarted a second later), the broker node or PostgreSQL stopped for 5 s, Redis
/// restarted empty, one service's broker connection closed, an agent container killed (the operator's start brings it
/// back), the fleet's agent server paused for 5 s. Each proves it hit what it names — the process died with 137, the
/// port refused connections, the connection was listed and closed, the container stopped, the process was stopped —
/// and is followed by the probe: a reassignment through the API, of the probe agent (which runs no turns) or, after a
/// fault of the container manager, of a container of the image from before hot-reload (a recreate, the manager's work).
/// </summary>
public sealed class ChaosFaults(ChaosSystem system, ChaosLoad load, Random random)
{
    public static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(120);
    public static readonly string[] Kinds =
    [
        "kill:orchestrator", "kill:rotation-worker", "kill:container-manager", "kill:api", "broker:stopped", "postgres:stopped",
        "redis:restarted-empty", "connection:severed", "container:killed", "agent-server:paused",
    ];

    readonly Stopwatch _run = Stopwatch.StartNew();

    /// <summary>The kinds still to come this round: every kind once, in a seeded order, before any comes again.</summary>
    readonly List<string> _bag = [];

    public List<InjectedFault> Injected { get; } = [];

    /// <summary>What the run read that a token must not be in and that is gone by the end (a killed container's log).</summary>
    public List<TextFact> Texts { get; } = [];

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var at = _run.Elapsed;
            if (_bag.Count == 0)
                _bag.AddRange(Kinds.OrderBy(_ => random.Next()));
            var kind = _bag[^1];
            _bag.RemoveAt(_bag.Count - 1);
            var pick = random.Next(1000);
            InjectedFault fault;
            try
            {
                var (target, hit, evidence, cleared) = await InjectAsync(kind, pick);
                var probe = target.StartsWith("container-manager", StringComparison.Ordinal) ? system.LegacyContainers[0].AgentName : ChaosSystem.Probe;
                var (recovered, detail) = await ProbeAsync(probe, pick);
                fault = new InjectedFault(at, kind, target, hit, recovered ? evidence : $"{evidence}; {detail}", recovered ? cleared.Elapsed : null);
            }
            catch (Exception ex)
            {
                fault = new InjectedFault(at, kind, "?", false, $"the fault could not be injected or cleared: {ex.GetType().Name}: {ex.Message}", null);
            }
            Injected.Add(fault with { Took = _run.Elapsed - at });
            var next = TimeSpan.FromSeconds(random.Next(10, 21)) - (_run.Elapsed - at);
            if (next > TimeSpan.Zero)
                await Task.Delay(next, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    async Task<(string Target, bool Hit, string Evidence, Stopwatch Cleared)> InjectAsync(string kind, int pick)
    {
        switch (kind)
        {
            case "kill:orchestrator" or "kill:rotation-worker":
                return await KillAsync($"{kind[5..]}-{pick % 2 + 1}");
            case "kill:container-manager" or "kill:api":
                return await KillAsync(kind[5..]);
            case "broker:stopped":
                await system.OwnBroker!.StopAsync();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(4));
                    var refused = !IsListening(system.Broker.Port) && !await system.Management.IsUpAsync();
                    return ("the run's RabbitMQ node", refused, "its AMQP port and management API refused 4 s into a 5 s stop", await ClearAsync(system.OwnBroker.StartAsync));
                }
                catch
                {
                    await system.OwnBroker.StartAsync();
                    throw;
                }
            case "postgres:stopped":
                await system.OwnPostgres!.StopAsync();
                var postgresRefused = !await PostgresTakesConnectionsAsync();
                await Task.Delay(TimeSpan.FromSeconds(5));
                return ("the run's PostgreSQL cluster", postgresRefused, "a connection was refused while it was stopped for 5 s", await ClearAsync(system.OwnPostgres.StartAsync));
            case "redis:restarted-empty":
                await system.Redis.StopAsync();
                var redisRefused = !IsListening(system.Redis.Port);
                return ("the run's Redis", redisRefused, "its port refused, then it started empty", await ClearAsync(system.Redis.StartAsync));
            case "connection:severed":
                return await SeverAsync(system.Services.Keys.Order(StringComparer.Ordinal).ElementAt(pick % system.Services.Count));
            case "container:killed":
                return await KillContainerAsync(system.HotReloadContainers[pick % system.HotReloadContainers.Count].AgentName);
            default:
                var fleet = system.Fleet.Process;
                fleet.Pause();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1));
                    var stopped = ProcessState(fleet.Id) == 'T';
                    await Task.Delay(TimeSpan.FromSeconds(4));
                    return ($"the fleet's agent server ({ChaosSystem.FleetMembers + 1} agents)", stopped, "SIGSTOP for 5 s (state T), then SIGCONT", await ClearAsync(() => Task.CompletedTask));
                }
                finally
                {
                    fleet.Resume();
                }
        }
    }

    /// <summary>The recovery clock starts as the fault is cleared: a restart's own time counts.</summary>
    static async Task<Stopwatch> ClearAsync(Func<Task> clear)
    {
        var cleared = Stopwatch.StartNew();
        await clear();
        return cleared;
    }

    async Task<(string, bool, string, Stopwatch)> KillAsync(string slot)
    {
        var process = system.Services[slot];
        await process.KillAsync();
        var evidence = $"exit {process.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}";
        await Task.Delay(TimeSpan.FromSeconds(1));
        return (slot, process.ExitCode == 137, evidence, await ClearAsync(() => system.StartServiceAsync(slot)));
    }

    /// <summary>The connection is waited for first (a service reconnecting after a broker restart is not listed yet), then closed by the broker.</summary>
    async Task<(string, bool, string, Stopwatch)> SeverAsync(string slot)
    {
        var suffix = $":{system.Services[slot].Id}";
        await Eventually.Until(async () => (await system.Management.ConnectionsAsync(system.VirtualHost, suffix)).Count > 0, $"{slot}'s broker connection to be listed", TimeSpan.FromSeconds(30));
        var cleared = Stopwatch.StartNew();
        var closed = await system.Management.CloseConnectionsAsync(system.VirtualHost, suffix);
        return (slot, closed > 0 && !system.Services[slot].HasExited, $"{closed} broker connection(s) closed", cleared);
    }

    /// <summary>SIGKILL of an agent's container; the operator's start (<see cref="StartAgentContainer"/>) brings it back on the database's token.</summary>
    async Task<(string, bool, string, Stopwatch)> KillContainerAsync(string agentName)
    {
        var container = (await system.AgentAsync(agentName)).ContainerId!;
        // Marked before and after the kill; a turn whose start raced the kill is attributed by time (ChaosLoad).
        load.KilledByFault(agentName);
        await system.Containers.KillAsync(container);
        load.KilledByFault(agentName);
        var state = (await system.Containers.InspectAsync(container)).State;
        Texts.Add(new TextFact($"the log of {agentName}'s killed container", await system.Containers.LogsAsync(container)));
        var cleared = Stopwatch.StartNew();
        await system.Observer.Publish(new StartAgentContainer { AgentName = agentName }).WaitAsync(TimeSpan.FromSeconds(10));
        return (agentName, state is { Running: false, ExitCode: 137 }, $"container exit {state.ExitCode}, then the operator's start", cleared);
    }

    /// <summary>
    /// <paramref name="agentName"/> reassigned through the API to a subscription it is not on; true once the rotation of
    /// that request has succeeded. The API may still be starting: the request is repeated until it is accepted.
    /// </summary>
    async Task<(bool Recovered, string Detail)> ProbeAsync(string agentName, int pick)
    {
        var until = Stopwatch.StartNew();
        Guid? requestId = null;
        var detail = "the API never accepted the probe's reassignment";
        while (until.Elapsed < RecoveryLimit)
        {
            try
            {
                if (requestId is null)
                {
                    var current = (await system.AgentAsync(agentName)).SubscriptionId;
                    var targets = system.Subscriptions.Select(s => s.Id).Where(id => id != current).ToList();
                    using var response = await system.Api.PutAsJsonAsync($"/api/agents/{agentName}/subscription", new { subscriptionId = targets[pick % targets.Count] });
                    if (response.IsSuccessStatusCode)
                        requestId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requestId").GetGuid();
                }
                else
                {
                    await using var db = system.NewDbContext();
                    var rotation = await db.Rotations.AsNoTracking().SingleOrDefaultAsync(r => r.CausationId == requestId);
                    if (rotation?.Outcome == RotationOutcome.Succeeded)
                        return (true, "");
                    if (rotation?.Outcome == RotationOutcome.Failed)
                        return (false, $"the probe's rotation of {agentName} failed: {rotation.OutcomeDetail}");
                    detail = $"the probe's rotation of {agentName} was {(rotation is null ? "never started" : "still in progress")}";
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or NpgsqlException)
            {
            }
            await Task.Delay(250);
        }
        return (false, detail);
    }

    async Task<bool> PostgresTakesConnectionsAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(system.ConnectionString + ";Timeout=3;Pooling=false");
            await connection.OpenAsync();
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The state letter of <c>/proc/{pid}/stat</c> (T: stopped by a signal).</summary>
    static char ProcessState(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..][0];
    }
}
