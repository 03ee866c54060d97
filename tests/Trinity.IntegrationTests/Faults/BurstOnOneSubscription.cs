using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// Twenty agents of one fleet-mode agent server on the first of three subscriptions, for a fault test that cuts a
/// burst: every agent rate-limited at once, and what the checker and the counts need afterwards. The services are
/// the scenario's to start, with the reload slowed so the burst lasts longer than the fault.
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

    public FleetAgentServer Fleet { get; private set; } = null!;

    /// <summary>The subscriptions, the fleet on the first, and the observer; call it after <c>base.InitializeAsync()</c>.</summary>
    protected async Task StartFleetOnTheFirstSubscriptionAsync()
    {
        var subscriptions = new List<Subscription>();
        for (var i = 0; i < _tokens.Count; i++)
            subscriptions.Add(await AddSubscriptionAsync($"subscription-{i}", _tokens[i]));
        _first = subscriptions[0].Id;
        Fleet = await StartFleetAsync(Enumerable.Range(0, Agents).Select(i => ($"agent-{i:00}", (string?)_tokens[0])));
        foreach (var agent in Fleet.Agents)
            await RegisterAgentAsync(agent.AgentName, _first, agent.BaseUrl, agent.ControlKey);
        await StartObserverAsync();
    }

    /// <summary>Every agent rate-limited on the first subscription; returns once two have switched.</summary>
    protected async Task StartTheBurstAsync()
    {
        foreach (var agent in Fleet.Agents)
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
        foreach (var agent in Fleet.Agents)
            if ((await agent.LiveCredentialAsync()).Fingerprint != await AssignedFingerprintAsync(agent.AgentName))
                return false;
        return true;
    }

    protected Task<RunRecord> RunRecordAsync() => Task.FromResult(new RunRecord
    {
        LiveCredentials = Fleet.Agents.ToDictionary(a => a.AgentName, a => (Func<Task<string?>>)(async () => (await a.LiveCredentialAsync()).Fingerprint)),
        Canaries = [.. _tokens],
    });

    /// <summary>What both cells assert: each agent has one rotation, succeeded, by hot-reload.</summary>
    public async Task AssertEveryAgentMovedExactlyOnceByHotReloadAsync()
    {
        foreach (var agent in Fleet.Agents)
        {
            var rotation = Assert.Single(await RotationsAsync(agent.AgentName));
            Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
            Assert.Equal(SwitchMethod.HotReload, rotation.Method);
        }
    }
}
