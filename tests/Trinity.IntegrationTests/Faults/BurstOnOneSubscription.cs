using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// Twenty agents of fleet-mode agent servers on the first of three subscriptions, for a fault test that cuts a
/// burst: every agent rate-limited at once, and what the checker and the counts need afterwards. One server on this
/// machine's address unless the scenario names Docker hosts: then the agents are dealt out over one server per host,
/// at its address, each agent placed on its server's host. The services are the scenario's to start, with the reload
/// slowed so the burst lasts longer than the fault.
/// </summary>
public abstract class BurstOnOneSubscription : TrinityTestSystem
{
    public const int Agents = 20;

    /// <summary>One reload at a time, each held a second.</summary>
    public static readonly IReadOnlyDictionary<string, string?> SlowWorker = new Dictionary<string, string?>
    {
        ["Trinity__RotationWorker__Concurrency"] = "1",
        ["Trinity__FaultInjection__Points__reload-received"] = "pause:1000",
    };

    /// <summary>
    /// The last of twenty reloads, one a second behind an outage, can wait past the default 60 s reload deadline on a
    /// loaded machine; it then fails and the reconciler moves the agent — right, but not what these cells are about.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> PatientOrchestrator = new Dictionary<string, string?>
    {
        ["Trinity__Orchestrator__ReloadDeadline"] = "00:03:00",
    };

    readonly List<string> _tokens = [Canary.NewToken(), Canary.NewToken(), Canary.NewToken()];
    Guid _first;

    public IReadOnlyList<AgentClient> FleetAgents { get; private set; } = [];

    /// <summary>
    /// The subscriptions, the fleet on the first, and the observer; call it after <c>base.InitializeAsync()</c>.
    /// </summary>
    /// <param name="hosts">The Docker hosts (name and address) the agents are spread over; none, one server on 127.0.0.1.</param>
    protected async Task StartFleetOnTheFirstSubscriptionAsync(params (string Name, string Address)[] hosts)
    {
        var subscriptions = new List<Subscription>();
        for (var i = 0; i < _tokens.Count; i++)
            subscriptions.Add(await AddSubscriptionAsync($"subscription-{i}", _tokens[i]));
        _first = subscriptions[0].Id;
        if (hosts.Length == 0)
            hosts = [(DockerHostName.Local, "127.0.0.1")];
        var agents = new List<AgentClient>();
        for (var h = 0; h < hosts.Length; h++)
        {
            var names = Enumerable.Range(0, Agents).Where(i => i % hosts.Length == h).Select(i => ($"agent-{i:00}", (string?)_tokens[0]));
            var fleet = await StartFleetAsync(names, address: hosts[h].Address);
            foreach (var agent in fleet.Agents)
                await RegisterAgentAsync(agent.AgentName, _first, agent.BaseUrl, agent.ControlKey, dockerHost: hosts[h].Name);
            agents.AddRange(fleet.Agents);
        }
        FleetAgents = agents;
        await StartObserverAsync();
    }

    /// <summary>Every agent rate-limited on the first subscription; returns once two have switched.</summary>
    protected async Task StartTheBurstAsync()
    {
        foreach (var agent in FleetAgents)
            await Observer.Publish(Failure(agent.AgentName, _first));
        await Eventually.Until(async () => await SwitchedAsync() >= 2, "the burst to be under way");
    }

    public async Task<int> SwitchedAsync()
    {
        await using var db = NewDbContext();
        return await db.Rotations.CountAsync(r => r.Outcome == RotationOutcome.Succeeded);
    }

    /// <summary>Settled: every agent switched and runs the token it is assigned.</summary>
    protected async Task<bool> EveryAgentSwitchedAndRunsItsAssignmentAsync()
    {
        if (await SwitchedAsync() != Agents)
            return false;
        foreach (var agent in FleetAgents)
            if ((await agent.LiveCredentialAsync()).Fingerprint != await AssignedFingerprintAsync(agent.AgentName))
                return false;
        return true;
    }

    protected Task<RunRecord> RunRecordAsync() => Task.FromResult(new RunRecord
    {
        LiveCredentials = FleetAgents.ToDictionary(a => a.AgentName, a => (Func<Task<string?>>)(async () => (await a.LiveCredentialAsync()).Fingerprint)),
        Canaries = [.. _tokens],
    });

    /// <summary>What both cells assert: each agent has one rotation, succeeded, by hot-reload.</summary>
    public async Task AssertEveryAgentMovedExactlyOnceByHotReloadAsync()
    {
        foreach (var agent in FleetAgents)
        {
            var rotation = Assert.Single(await RotationsAsync(agent.AgentName));
            Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
            Assert.Equal(SwitchMethod.HotReload, rotation.Method);
        }
    }
}
