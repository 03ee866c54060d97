using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Chaos;

/// <summary>One turn the run started, and how it ended as far as the run could see.</summary>
public sealed class ChaosTurn(string agentName, Guid id, DateTimeOffset askedAt)
{
    public string AgentName { get; } = agentName;
    public Guid Id { get; } = id;

    /// <summary>When the run asked for it (before the agent answered).</summary>
    public DateTimeOffset AskedAt { get; } = askedAt;
    public string? Ending { get; set; }

    /// <summary>When the run saw it end; null while it had not.</summary>
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>Its container was killed by the run while it was in flight.</summary>
    public bool KilledByInjectedFault { get; set; }
}

/// <summary>
/// The work of a chaos run, as the chat executors and an operator would make it: turns on the agents that run them
/// (a few in flight at once, two to four seconds each), a failure report for every turn the simulator rate-limited
/// (with the fingerprint the turn ran on), and every 8 to 12 s a reassignment or a rollover through the API. What the
/// API or an agent refuses while a fault is on is counted, not retried: a chat executor would move on too.
/// </summary>
public sealed class ChaosLoad(ChaosSystem system, int seed) : IDisposable
{
    const int TurnsInFlight = 6;
    readonly ConcurrentDictionary<Guid, ChaosTurn> _inFlight = new();
    readonly ConcurrentBag<ChaosTurn> _turns = [];
    readonly ConcurrentBag<Guid> _acknowledged = [];
    readonly Dictionary<(string BaseUrl, string Key), AgentClient> _clients = [];
    readonly ConcurrentDictionary<string, DateTimeOffset> _lastKilledByFault = new();

    // Two streams, so the operator's actions follow from the seed whatever the timing does to the number of turns.
    readonly Random _turnPicks = new(seed);
    readonly Random _operator = new(seed + 2);
    int _refused;
    int _reassignments;
    int _rollovers;
    int _actions;

    /// <summary>The reports whose publish the broker acknowledged (a publish that timed out during a fault is not among them).</summary>
    public IReadOnlyCollection<Guid> AcknowledgedReports => _acknowledged;
    public int Refused => _refused;
    public int Reassignments => _reassignments;
    public int Rollovers => _rollovers;
    public IReadOnlyCollection<ChaosTurn> Turns => _turns;

    /// <summary>The agents turns run on: every fleet member but the probe, and the containers.</summary>
    List<string> Workers { get; } =
        system.Fleet.Agents.Select(a => a.AgentName).Where(n => n != ChaosSystem.Probe).Concat(system.ContainerAgents.Select(c => c.AgentName)).ToList();

    public async Task RunAsync(CancellationToken stop)
    {
        var nextOperatorAction = DateTimeOffset.UtcNow.AddSeconds(_operator.Next(8, 13));
        while (!stop.IsCancellationRequested)
        {
            await FollowTurnsAsync();
            for (var missing = TurnsInFlight - _inFlight.Count; missing > 0; missing--)
                await StartTurnAsync(Workers[_turnPicks.Next(Workers.Count)], _turnPicks.Next(2, 5));
            if (DateTimeOffset.UtcNow >= nextOperatorAction)
            {
                await OperatorActionAsync();
                nextOperatorAction = DateTimeOffset.UtcNow.AddSeconds(_operator.Next(8, 13));
            }
            await Delay(TimeSpan.FromMilliseconds(500), stop);
        }
    }

    /// <summary>Once the run has stopped: the turns still in flight followed to their end (or given up on, which the checker then reports).</summary>
    public async Task FinishAsync(TimeSpan timeout)
    {
        var until = DateTimeOffset.UtcNow + timeout;
        while (!_inFlight.IsEmpty && DateTimeOffset.UtcNow < until)
        {
            await FollowTurnsAsync();
            await Task.Delay(500);
        }
    }

    /// <summary>
    /// The run kills <paramref name="agentName"/>'s container now: its turns in flight die of the fault, and so does a
    /// turn asked for before this moment that the agent no longer knows when it is next asked.
    /// </summary>
    public void KilledByFault(string agentName)
    {
        _lastKilledByFault[agentName] = DateTimeOffset.UtcNow;
        foreach (var turn in _inFlight.Values.Where(t => t.AgentName == agentName))
            turn.KilledByInjectedFault = true;
    }

    public List<TurnFact> TurnFacts() => _turns.Select(t => new TurnFact(t.Id, t.AgentName, t.Ending, t.KilledByInjectedFault, t.AskedAt, t.EndedAt)).ToList();

    async Task StartTurnAsync(string agentName, int seconds)
    {
        var askedAt = DateTimeOffset.UtcNow;
        try
        {
            var agent = await ClientAsync(agentName);
            using var response = await agent.SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "chaos", durationSeconds = seconds });
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _refused);
                return;
            }
            var view = (await response.Content.ReadFromJsonAsync<TurnView>())!;
            var turn = new ChaosTurn(agentName, view.Id, askedAt);
            _inFlight[turn.Id] = turn;
            _turns.Add(turn);
        }
        catch (Exception)
        {
            // Unreachable, refused, its placement unreadable while PostgreSQL is away: a chat executor would try elsewhere.
            Interlocked.Increment(ref _refused);
        }
    }

    async Task FollowTurnsAsync()
    {
        foreach (var turn in _inFlight.Values.ToList())
        {
            try
            {
                var agent = await ClientAsync(turn.AgentName);
                using var response = await agent.SendAsync(HttpMethod.Get, $"/api/turns/{turn.Id}");
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    // The agent server no longer knows it: its process was restarted (a recreate, or a kill the run injected).
                    if (_lastKilledByFault.TryGetValue(turn.AgentName, out var killedAt) && killedAt >= turn.AskedAt)
                        turn.KilledByInjectedFault = true;
                    End(turn, "Killed");
                    continue;
                }
                response.EnsureSuccessStatusCode();
                var view = (await response.Content.ReadFromJsonAsync<TurnView>())!;
                if (view.State != "Ended")
                    continue;
                End(turn, view.Ending);
                if (view.Ending == "RateLimited")
                    await ReportAsync(turn.AgentName, view.Fingerprint);
            }
            catch (Exception)
            {
                // Not reachable now (a fault, a recreate under way): asked again on the next round.
            }
        }
    }

    /// <summary>A client for the agent where the database places it now, one per placement (a recreate moves a container).</summary>
    async Task<AgentClient> ClientAsync(string agentName)
    {
        var placement = await system.AgentAsync(agentName);
        var key = (placement.BaseUrl!, system.Cipher.Decrypt(placement.EncryptedControlKey!));
        if (!_clients.TryGetValue(key, out var client))
            _clients[key] = client = new AgentClient(agentName, key.Item1, key.Item2);
        return client;
    }

    void End(ChaosTurn turn, string? ending)
    {
        turn.Ending = ending;
        turn.EndedAt = DateTimeOffset.UtcNow;
        _inFlight.TryRemove(turn.Id, out _);
    }

    /// <summary>A chat executor's report of a 429, naming the subscription by the fingerprint the turn ran on.</summary>
    async Task ReportAsync(string agentName, string? fingerprint)
    {
        Guid? subscription = null;
        lock (system.SubscriptionByFingerprint)
            if (fingerprint is not null && system.SubscriptionByFingerprint.TryGetValue(fingerprint, out var id))
                subscription = id;
        var report = new ReportSubscriptionFailure
        {
            FailureId = Guid.NewGuid(),
            AgentName = agentName,
            SubscriptionId = subscription,
            TokenFingerprint = fingerprint,
            Kind = FailureKind.RateLimited,
            Source = FailureSource.Chat,
            StatusCode = 429,
            ErrorMessage = "API Error: 429 rate_limit_error",
            OccurredAt = DateTimeOffset.UtcNow,
        };
        try
        {
            // A publish waits for the broker while it is away: the run does not wait with it.
            await system.Observer.Publish(report).WaitAsync(TimeSpan.FromSeconds(5));
            _acknowledged.Add(report.FailureId);
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _refused);
        }
    }

    /// <summary>An agent reassigned to a random subscription; every third action, a random subscription rolled over to a new key.</summary>
    async Task OperatorActionAsync()
    {
        try
        {
            if (++_actions % 3 != 0)
            {
                // Every other reassignment is of a container from before hot-reload: a recreate, the manager's work.
                var agents = _actions % 2 == 0
                    ? system.LegacyContainers.Select(c => c.AgentName).ToList()
                    : system.AgentNames.Where(n => n != ChaosSystem.Probe).ToList();
                var agent = agents[_operator.Next(agents.Count)];
                var subscription = system.Subscriptions[_operator.Next(system.Subscriptions.Count)].Id;
                using var response = await system.Api.PutAsJsonAsync($"/api/agents/{agent}/subscription", new { subscriptionId = subscription });
                Count(response, ref _reassignments);
            }
            else
            {
                await system.RollOverAsync(_operator.Next(system.Subscriptions.Count));
                Interlocked.Increment(ref _rollovers);
            }
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _refused);
        }
    }

    void Count(HttpResponseMessage response, ref int done)
    {
        if (response.IsSuccessStatusCode)
            Interlocked.Increment(ref done);
        else
            Interlocked.Increment(ref _refused);
    }

    static async Task Delay(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
            client.Dispose();
    }
}
