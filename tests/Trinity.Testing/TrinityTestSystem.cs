using System.Security.Cryptography;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Testing;

/// <summary>
/// The real system for one test class: the stores of <see cref="TrinityTestStores"/>, its own RabbitMQ virtual
/// host, the service processes it starts and the fixtures a scenario owns (the bus observer, agent servers,
/// containers, a Redis of its own, the model-API simulator) — all stopped and removed at the end: the services
/// first (so none acts on what is being removed), then the fixtures in reverse order of start, then the virtual
/// host, the class's own broker if it has one, and the stores; a failure in one step never skips the next. Leftovers of runs that died are removed at start.
/// </summary>
public class TrinityTestSystem : TrinityTestStores
{
    readonly List<ServiceProcess> _processes = [];
    readonly List<object> _owned = [];
    BusObserver? _observer;
    AgentContainers? _containers;

    public TrinityTestSystem()
    {
        Broker = BrokerAccess.Shared(Credentials);
        Management = new RabbitMqManagement(Broker);
    }

    /// <summary>The broker this class's services, observer and checks use: the shared node, or <see cref="OwnBroker"/>.</summary>
    public BrokerAccess Broker { get; private set; }
    public RabbitMqManagement Management { get; private set; }

    /// <summary>A RabbitMQ node of this class's own, when <see cref="UseOwnBrokerAsync"/> was called: the one a fault test may stop.</summary>
    public RabbitMqNode? OwnBroker { get; private set; }

    /// <summary>A RabbitMQ cluster of this class's own, when <see cref="UseOwnClusterAsync"/> was called.</summary>
    public RabbitMqCluster? OwnCluster { get; private set; }
    public string VirtualHost => Prefix + RunId;

    /// <summary>The test's own bus: what producers would publish, and what the system publishes (<see cref="StartObserverAsync"/> first).</summary>
    public BusObserver Observer => _observer ?? throw new InvalidOperationException("The scenario has not started its observer (StartObserverAsync).");

    /// <summary>Agent containers of this run on the local Docker engine, removed at the end.</summary>
    public AgentContainers Containers => _containers ??= Own(new AgentContainers(RunId));

    /// <summary>A second Docker engine of this class's own (a second Docker host), removed with its containers at the end.</summary>
    public async Task<DockerEngine> StartDockerEngineAsync() => Own(await DockerEngine.StartAsync(RunId, LogDirectory));

    /// <summary>
    /// For a test that stops or cuts the broker: everything of this class uses a RabbitMQ node of its own, never the
    /// shared one. Call it first in <c>InitializeAsync</c>, before <c>base.InitializeAsync()</c>.
    /// </summary>
    protected async Task UseOwnBrokerAsync()
    {
        OwnBroker = await RabbitMqNode.StartAsync(LogDirectory);
        Broker = OwnBroker.Access;
        ManageThrough(OwnBroker);
    }

    /// <summary>
    /// As <see cref="UseOwnBrokerAsync"/>, with a cluster of three nodes: services connect to them in order and move
    /// to the next when theirs stops. Call it first in <c>InitializeAsync</c>.
    /// </summary>
    protected async Task UseOwnClusterAsync()
    {
        OwnCluster = await RabbitMqCluster.StartAsync(LogDirectory);
        Broker = OwnCluster.Access;
        ManageThrough(OwnCluster.Nodes[0]);
    }

    /// <summary>Reads the management API through <paramref name="node"/>: one that is not about to be stopped.</summary>
    public void ManageThrough(RabbitMqNode node)
    {
        Management.Dispose();
        Management = new RabbitMqManagement(node.Access);
    }

    public override async Task InitializeAsync()
    {
        foreach (var vhost in (await Management.VirtualHostsAsync()).Where(v => IsStale(v, Prefix)))
            await Management.DeleteVirtualHostAsync(vhost);
        await Management.CreateVirtualHostAsync(VirtualHost);
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        var failures = new List<Exception>();
        async Task Step(Func<Task> step)
        {
            try
            {
                await step();
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
        }

        foreach (var process in _processes)
            await Step(() => process.DisposeAsync().AsTask());
        // A container manager of the scenario's may have started containers of this run the scenario never looked at.
        _ = Containers;
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            var fixture = _owned[i];
            await Step(() => fixture is IAsyncDisposable asynchronous ? asynchronous.DisposeAsync().AsTask() : Task.Run(((IDisposable)fixture).Dispose));
        }
        await Step(() => Management.DeleteVirtualHostAsync(VirtualHost));
        if (OwnBroker is not null)
            await Step(() => OwnBroker.DisposeAsync().AsTask());
        if (OwnCluster is not null)
            await Step(() => OwnCluster.DisposeAsync().AsTask());
        await Step(base.DisposeAsync);
        Management.Dispose();
        if (failures.Count > 0)
            throw new AggregateException("Tearing the test system down failed", failures);
    }

    /// <summary>Keeps a fixture until the test class ends: disposed in reverse order of ownership, after the services stop.</summary>
    public T Own<T>(T fixture)
        where T : class
    {
        if (fixture is not (IAsyncDisposable or IDisposable))
            throw new ArgumentException($"{typeof(T).Name} is not disposable: there is nothing to own.", nameof(fixture));
        _owned.Add(fixture);
        return fixture;
    }

    /// <param name="containerManager">When given, the test also plays the container manager (see <see cref="BusObserver.StartAsync"/>).</param>
    public async Task<BusObserver> StartObserverAsync(Func<ConsumeContext<RecreateContainer>, Task>? containerManager = null)
    {
        if (_observer is not null)
            throw new InvalidOperationException("The observer is already started.");
        return _observer = Own(await BusObserver.StartAsync(this, containerManager));
    }

    /// <summary>What every service of this test class is configured with; secrets travel in the environment only.</summary>
    public Dictionary<string, string?> ServiceEnvironment() => new()
    {
        ["Trinity__RabbitMq__VirtualHost"] = VirtualHost,
        ["Trinity__RabbitMq__Port"] = Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Trinity__RabbitMq__Nodes"] = Broker.Nodes,
        ["Trinity__RabbitMq__Username"] = Broker.User,
        ["Trinity__RabbitMq__Password"] = Broker.Password,
        ["Trinity__Postgres__ConnectionString"] = ConnectionString,
        ["Trinity__Redis__Password"] = Credentials.RedisPassword,
        ["Trinity__Redis__KeyPrefix"] = RedisKeyPrefix,
        ["Trinity__Encryption__Key"] = EncryptionKey,
        ["Serilog__MinimumLevel__Default"] = "Information",
    };

    public ServiceProcess Start(string service, string name, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var environment = ServiceEnvironment();
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            environment[key] = value;
        var process = ServiceProcess.Start(service, name, environment, LogDirectory);
        _processes.Add(process);
        return process;
    }

    public Task<ServiceProcess> StartOrchestratorAsync(string name = "orchestrator", IReadOnlyDictionary<string, string?>? extra = null) =>
        Start("Trinity.Orchestrator", name, extra).WaitUntilStartedAsync();

    /// <summary>The HTTP API on a free loopback port, with a fresh admin key; a client that sends it.</summary>
    public async Task<(ServiceProcess Process, HttpClient Client)> StartApiAsync(IReadOnlyDictionary<string, string?>? extra = null, string name = "api")
    {
        var port = FreePort.Next();
        var adminKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var process = await Start("Trinity.Api", name, Merged(new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Trinity__Api__AdminKey"] = adminKey,
        }, extra)).WaitUntilStartedAsync();
        var client = Own(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
        return (process, client);
    }

    public Task<ServiceProcess> StartContainerManagerAsync(string name = "container-manager", IReadOnlyDictionary<string, string?>? extra = null) =>
        Start("Trinity.ContainerManager", name, extra).WaitUntilStartedAsync();

    public Task<ServiceProcess> StartRotationWorkerAsync(string name = "rotation-worker", IReadOnlyDictionary<string, string?>? extra = null) =>
        Start("Trinity.RotationWorker", name, extra).WaitUntilStartedAsync();

    /// <summary>An agent server process (not registered, not waited for), stopped with the services at the end.</summary>
    public AgentServerProcess RunAgentServer(string agentName, string? bakedToken, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var agent = Own(AgentServerProcess.Start(agentName, bakedToken, LogDirectory, extra));
        _processes.Add(agent.Process);
        return agent;
    }

    /// <summary>An agent server process on its own loopback port, its placement registered in the database.</summary>
    public async Task<AgentServerProcess> StartAgentServerAsync(string agentName, string? bakedToken, Guid? subscriptionId, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var agent = RunAgentServer(agentName, bakedToken, extra);
        await agent.Process.WaitUntilStartedAsync();
        await RegisterAgentAsync(agentName, subscriptionId, agent.BaseUrl, agent.ControlKey);
        return agent;
    }

    /// <summary>
    /// An agent server in a container of the agent image on its own loopback port (not registered: the scenario says how),
    /// on the local engine unless <paramref name="on"/> names another.
    /// </summary>
    public async Task<ContainerAgent> RunContainerAgentAsync(string agentName, string? bakedToken, IReadOnlyDictionary<string, string?>? extra = null,
        string image = AgentContainers.Image, string address = "127.0.0.1", AgentContainers? on = null) =>
        Own(await ContainerAgent.RunAsync(on ?? Containers, agentName, bakedToken, extra, image, address));

    /// <summary>One agent server process in fleet mode serving every agent of <paramref name="fleet"/>.</summary>
    public async Task<FleetAgentServer> StartFleetAsync(IEnumerable<(string Name, string? Token)> fleet, IReadOnlyDictionary<string, string?>? extra = null,
        string address = "127.0.0.1") =>
        Own(await FleetAgentServer.StartAsync(fleet, LogDirectory, (service, name, environment) => Start(service, name, Merged(environment, extra)), address));

    public async Task<ModelApiSimulatorProcess> StartModelApiAsync(int requestsPerWindow = 1000, TimeSpan? window = null, IReadOnlyDictionary<string, string?>? extra = null) =>
        Own(await ModelApiSimulatorProcess.StartAsync((service, name, environment) => Start(service, name, Merged(environment, extra)), requestsPerWindow, window));

    /// <summary><paramref name="environment"/> with <paramref name="extra"/> on top (a later value wins, as in <see cref="Start"/>).</summary>
    static Dictionary<string, string?> Merged(IReadOnlyDictionary<string, string?> environment, IReadOnlyDictionary<string, string?>? extra)
    {
        var merged = new Dictionary<string, string?>(environment);
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            merged[key] = value;
        return merged;
    }

    /// <summary>
    /// Every queue empty (ready, unacked, and <c>_error</c> unless <paramref name="errorQueuesToo"/> is false) and
    /// nothing waiting in the outbox, then two more seconds for anything late, then still so. The invariant checker
    /// waits without the <c>_error</c> queues: it reads them itself and says what a message there is.
    /// </summary>
    public async Task WaitUntilQuietAsync(TimeSpan? timeout = null, bool errorQueuesToo = true)
    {
        await Eventually.Until(() => IsQuietAsync(errorQueuesToo), "every queue to be empty", timeout);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await Eventually.Until(() => IsQuietAsync(errorQueuesToo), "every queue to stay empty", timeout);
    }

    public IReadOnlyList<ServiceProcess> Processes => _processes;

    /// <summary>Everything every service process of this class has written so far, one string per process.</summary>
    public IReadOnlyList<string> ServiceOutputs() => _processes.Select(p => p.OutputText).ToList();

    /// <summary>A client for the agent where the database now places it, with the control key it now holds (a recreate changes both).</summary>
    public async Task<AgentClient> PlacedClientAsync(string agentName)
    {
        var placement = await AgentAsync(agentName);
        return new AgentClient(agentName, placement.BaseUrl!, Cipher.Decrypt(placement.EncryptedControlKey!));
    }

    /// <summary>
    /// The fingerprint the agent runs, asked of it where the database now places it (its container may have been
    /// recreated on another port), with the control key it now holds; null while it cannot be reached.
    /// </summary>
    public async Task<string?> PlacedLiveFingerprintAsync(string agentName)
    {
        using var client = await PlacedClientAsync(agentName);
        try
        {
            return (await client.LiveCredentialAsync()).Fingerprint;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Every queue of this test's virtual host, as the management API reports it.</summary>
    public Task<IReadOnlyList<QueueCounts>> QueuesAsync() => Management.QueuesAsync(VirtualHost);

    /// <summary>Ready and unacked zero on every queue (<c>_error</c> ones included unless told otherwise), and no committed message still to be relayed.</summary>
    public async Task<bool> IsQuietAsync(bool errorQueuesToo = true)
    {
        if (!(await QueuesAsync()).All(q => q.IsEmpty || (!errorQueuesToo && q.Name.EndsWith("_error", StringComparison.Ordinal))))
            return false;
        await using var db = NewDbContext();
        return !await db.OutboxMessages.AnyAsync();
    }
}
