using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The system the hot-reload fault matrices run on: one agent server behind a <see cref="FaultProxy"/>, running
/// turns through the fake CLI against the model API simulator; a subscription per cell and one more (a rate-limited
/// one cools down, so every switch has somewhere to go); the API, the orchestrator and the rotation worker. A cell
/// records its turn, and its recovery ends when no rotation is in progress and the agent runs the assigned token.
/// </summary>
public abstract class HotReloadFaultSystem : TrinityTestSystem
{
    public const string Agent = "alpha";
    readonly List<TurnFact> _turns = [];
    Dictionary<string, string?> _workerSettings = [];
    int _started;

    public List<FaultCell> Cells { get; } = [];
    protected List<string> Tokens { get; } = [];
    protected List<Subscription> Subscriptions { get; } = [];
    protected Dictionary<string, ServiceProcess> Running { get; } = [];
    protected AgentServerProcess AgentServer { get; private set; } = null!;
    protected FaultProxy Proxy { get; private set; } = null!;
    protected HttpClient Api { get; private set; } = null!;

    /// <summary>Starts everything for <paramref name="cells"/> cells; every rotation worker it starts gets <paramref name="workerSettings"/>.</summary>
    protected async Task StartAsync(int cells, Dictionary<string, string?>? workerSettings = null)
    {
        _workerSettings = workerSettings ?? [];
        for (var i = 0; i <= cells; i++)
        {
            Tokens.Add(Canary.NewToken());
            Subscriptions.Add(await AddSubscriptionAsync($"subscription-{i}", Tokens[i]));
        }
        var modelApi = await StartModelApiAsync(requestsPerWindow: 100_000);
        AgentServer = await StartAgentServerAsync(Agent, Tokens[0], Subscriptions[0].Id, new Dictionary<string, string?>
        {
            ["Trinity__Agent__Turns__Command"] = RepositoryPaths.FakeClaudeCli,
            ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
        });
        Proxy = Own(FaultProxy.Start(new Uri(AgentServer.BaseUrl).Port));
        await using (var db = NewDbContext())
            await db.Agents.Where(a => a.Name == Agent).ExecuteUpdateAsync(a => a.SetProperty(x => x.BaseUrl, Proxy.BaseUrl));
        await StartObserverAsync();
        (Running["api"], Api) = await StartApiAsync();
        Running["orchestrator"] = await StartOrchestratorAsync();
        Running["rotation-worker"] = await StartRotationWorkerAsync(extra: _workerSettings);
    }

    /// <summary><paramref name="name"/> made unique among this class's processes (each writes its own log).</summary>
    protected string Numbered(string name) => $"{name}-{++_started}";

    protected async Task<FaultCell> RecoverAsync(string cell, bool hit, string evidence, Stopwatch cleared, TurnView turn) =>
        await FaultCell.RecoverAsync(this, cell, hit, evidence, cleared,
            async () => (await RotationsAsync(Agent)).All(r => r.Outcome != RotationOutcome.InProgress) && (await AgentServer.LiveCredentialAsync()).Fingerprint == await AssignedFingerprintAsync(Agent),
            async () =>
            {
                var ended = await AgentServer.WaitForTurnToEndAsync(turn.Id, TimeSpan.FromSeconds(60));
                _turns.Add(new TurnFact(ended.Id, Agent, ended.Ending, KilledByInjectedFault: false, ended.StartedAt, ended.EndedAt));
                return new RunRecord
                {
                    LiveCredentials = { [Agent] = async () => (await AgentServer.LiveCredentialAsync()).Fingerprint },
                    Turns = [.. _turns],
                    Canaries = [.. Tokens],
                };
            });

    /// <summary>
    /// A turn started just before the fault is triggered, long enough to outlast the fault (an 8 s outage at most):
    /// it must end Completed, however the rotation went.
    /// </summary>
    protected Task<TurnView> StartTurnAsync() => AgentServer.StartTurnAsync(durationSeconds: 12);

    protected async Task ReportFailureAsync() => await Observer.Publish(Failure(Agent, (await AgentAsync(Agent)).SubscriptionId!.Value));

    /// <summary>How many reload requests went through the proxy so far.</summary>
    protected int ReloadsSeen() => Proxy.RequestLines.Count(l => l.Contains(Trinity.AgentProtocol.AgentPaths.ReloadToken, StringComparison.Ordinal));

    /// <summary>How many reloads the agent server applied so far.</summary>
    protected int AgentReloads() => AgentServer.Process.Output.Count(l => l.Contains("token reloaded, fingerprint", StringComparison.Ordinal));

    /// <summary>How many reloads <paramref name="worker"/> saw answered so far.</summary>
    protected static int WorkerReloads(ServiceProcess worker) => worker.Output.Count(l => l.Contains("reloaded; live fingerprint", StringComparison.Ordinal));

    protected async Task<ServiceProcess> StartServiceAsync(string service, string name, Dictionary<string, string?> extra)
    {
        switch (service)
        {
            case "orchestrator":
                return await StartOrchestratorAsync(name, extra);
            case "rotation-worker":
                var settings = new Dictionary<string, string?>(_workerSettings);
                foreach (var (key, value) in extra)
                    settings[key] = value;
                return await StartRotationWorkerAsync(name, settings);
            default:
                var (process, client) = await StartApiAsync(extra, name);
                Api = client;
                return process;
        }
    }
}
