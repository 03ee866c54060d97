using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Chaos;

/// <summary>
/// What a chaos run runs on, all of its own: a RabbitMQ node, a PostgreSQL cluster and a Redis that its faults may
/// stop; three subscriptions behind the model-API simulator, which rate-limits them within seconds; fifty agents —
/// fleet members of one agent server, agent-image containers (two of the image from before hot-reload, so their
/// switches are recreates), and Python reference agents registered unmanaged; two replicas of the Orchestrator and
/// of the rotation worker, the container manager and the API. Timings are shortened so a run keeps switching.
/// </summary>
public class ChaosSystem : TrinityTestSystem
{
    public const int FleetMembers = 42;
    public const string Probe = "probe";
    public const int SubscriptionCount = 3;

    /// <summary>Requests a subscription may make per <see cref="Window"/> before the simulator answers 429.</summary>
    public const int Budget = 30;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    public static readonly string[] Replicated = ["orchestrator", "rotation-worker"];

    readonly Dictionary<string, int> _restarts = [];

    public ChaosSettings Settings { get; } = ChaosSettings.FromEnvironment();
    public RedisProcess Redis { get; private set; } = null!;
    public ModelApiSimulatorProcess ModelApi { get; private set; } = null!;
    public FleetAgentServer Fleet { get; private set; } = null!;
    public List<ContainerAgent> HotReloadContainers { get; } = [];
    public List<ContainerAgent> LegacyContainers { get; } = [];
    public List<ReferenceAgentProcess> References { get; } = [];

    /// <summary>Every token the run handed out (the three first keys and each rollover's): the canaries no text may hold.</summary>
    public List<string> Tokens { get; } = [];
    public List<(string Name, Guid Id)> Subscriptions { get; } = [];

    /// <summary>Subscription by the fingerprint of each key it ever had: how a rate-limited turn is reported.</summary>
    public Dictionary<string, Guid> SubscriptionByFingerprint { get; } = [];

    /// <summary>The running service processes by role and replica (<c>orchestrator-1</c>, …, <c>api</c>).</summary>
    public Dictionary<string, ServiceProcess> Services { get; } = [];
    public HttpClient Api { get; private set; } = null!;

    public IEnumerable<string> AgentNames =>
        Fleet.Agents.Select(a => a.AgentName).Concat(ContainerAgents.Select(c => c.AgentName)).Concat(References.Select((_, i) => ReferenceName(i)));

    public IEnumerable<ContainerAgent> ContainerAgents => HotReloadContainers.Concat(LegacyContainers);

    public static string ReferenceName(int i) => $"reference-{i}";

    public override async Task InitializeAsync()
    {
        await UseOwnBrokerAsync();
        await UseOwnPostgresAsync();
        await base.InitializeAsync();
        Redis = Own(await RedisProcess.StartAsync(LogDirectory));
        ModelApi = await StartModelApiAsync(Budget, Window);
        for (var i = 0; i < SubscriptionCount; i++)
        {
            Tokens.Add(Canary.NewToken());
            var subscription = await AddSubscriptionAsync($"chaos-{i}", Tokens[i]);
            Subscriptions.Add((subscription.Name, subscription.Id));
            SubscriptionByFingerprint[subscription.TokenFingerprint] = subscription.Id;
        }
        string TokenOf(int agent) => Tokens[agent % SubscriptionCount];
        Guid SubscriptionOf(int agent) => Subscriptions[agent % SubscriptionCount].Id;

        var turns = new Dictionary<string, string?>
        {
            ["Trinity__Agent__Turns__Command"] = RepositoryPaths.FakeClaudeCli,
            ["TRINITY_MODEL_API_URL"] = ModelApi.BaseUrl,
        };
        Fleet = await StartFleetAsync(Enumerable.Range(0, FleetMembers).Select(i => ($"fleet-{i:00}", (string?)TokenOf(i))).Append((Probe, TokenOf(0))), turns);
        for (var i = 0; i < Fleet.Agents.Count; i++)
            await RegisterAgentAsync(Fleet.Agents[i].AgentName, SubscriptionOf(i), Fleet.Agents[i].BaseUrl, Fleet.Agents[i].ControlKey);
        var inContainer = new Dictionary<string, string?> { ["Trinity__Agent__Turns__Command"] = "/app/fake-claude", ["TRINITY_MODEL_API_URL"] = ModelApi.BaseUrl };
        for (var i = 0; i < 4; i++)
        {
            var legacy = i >= 2;
            var agent = await RunContainerAgentAsync(legacy ? $"legacy-{i - 2}" : $"container-{i}", TokenOf(i), inContainer,
                legacy ? AgentContainers.LegacyImage : AgentContainers.Image);
            await RegisterAgentAsync(agent.AgentName, SubscriptionOf(i), agent.BaseUrl, agent.ControlKey, agent.ContainerId);
            (legacy ? LegacyContainers : HotReloadContainers).Add(agent);
        }

        await StartObserverAsync();
        foreach (var role in Replicated)
            for (var replica = 1; replica <= 2; replica++)
                await StartServiceAsync($"{role}-{replica}");
        await StartServiceAsync("container-manager");
        await StartServiceAsync("api");
        for (var i = 0; i < 3; i++)
        {
            var reference = Own(await ReferenceAgentProcess.StartAsync(ReferenceName(i), TokenOf(i), LogDirectory));
            using var registered = await Api.PostAsync("/api/agents", System.Net.Http.Json.JsonContent.Create(new { name = ReferenceName(i), subscriptionId = SubscriptionOf(i), baseUrl = reference.BaseUrl }));
            registered.EnsureSuccessStatusCode();
            References.Add(reference);
        }
    }

    /// <summary>Starts (or restarts) the service of <paramref name="slot"/> (<c>orchestrator-2</c>, <c>api</c>, …) under a fresh process name.</summary>
    public async Task<ServiceProcess> StartServiceAsync(string slot)
    {
        var restart = _restarts[slot] = _restarts.GetValueOrDefault(slot) + 1;
        var name = restart == 1 ? slot : $"{slot}-restart-{restart - 1}";
        var process = slot switch
        {
            _ when slot.StartsWith("orchestrator", StringComparison.Ordinal) => await StartOrchestratorAsync(name, Redis.For(new()
            {
                ["Trinity__Orchestrator__Cooldown"] = "00:00:20",
                ["Trinity__Orchestrator__RetryBackoff"] = "00:00:02",
                ["Trinity__Orchestrator__ReconcileInterval"] = "00:00:10",
            })),
            _ when slot.StartsWith("rotation-worker", StringComparison.Ordinal) => await StartRotationWorkerAsync(name, Redis.For(new()
            {
                ["Trinity__RotationWorker__DrainTimeout"] = "00:00:20",
            })),
            "container-manager" => await StartContainerManagerAsync(name, Redis.For(new()
            {
                ["Trinity__ContainerManager__ContainerNamePrefix"] = $"trinity-test-{RunId}-",
                [$"Trinity__ContainerManager__Labels__{AgentContainers.TestRunLabel}"] = RunId,
            })),
            _ => await StartApiClientAsync(name),
        };
        Services[slot] = process;
        return process;
    }

    async Task<ServiceProcess> StartApiClientAsync(string name)
    {
        var (process, client) = await StartApiAsync(Redis.For([]), name);
        Api = client;
        return process;
    }

    /// <summary>The fingerprint a reference agent runs: the last reload it received, else the token it was started with.</summary>
    public async Task<string?> ReferenceFingerprintAsync(int i) =>
        (await References[i].ReceivedAsync()) is [.., var last] ? last.Fingerprint : TokenFingerprint.Of(Tokens[i % SubscriptionCount]);

    /// <summary>Puts a new key on a subscription through the API, as an operator rolling it over would.</summary>
    public async Task RollOverAsync(int subscription)
    {
        var token = Canary.NewToken();
        lock (Tokens)
            Tokens.Add(token);
        lock (SubscriptionByFingerprint)
            SubscriptionByFingerprint[TokenFingerprint.Of(token)] = Subscriptions[subscription].Id;
        await Api.UpsertSubscriptionAsync(Subscriptions[subscription].Name, token);
    }
}
