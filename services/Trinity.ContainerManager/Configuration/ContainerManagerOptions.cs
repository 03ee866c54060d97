namespace Trinity.ContainerManager.Configuration;

/// <summary>Section <c>Trinity:ContainerManager</c>.</summary>
public sealed class ContainerManagerOptions
{
    public const string Section = "Trinity:ContainerManager";

    /// <summary>
    /// The Docker host this manager serves, one name of <c>Trinity:DockerHosts</c>: it consumes only that host's queues
    /// and touches only the containers of agents placed there. One manager per host.
    /// </summary>
    public string Host { get; set; } = Messaging.Contracts.Identity.DockerHostName.Local;

    /// <summary>The Docker engine this manager owns; it is the only component that talks to it.</summary>
    public string DockerEndpoint { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>How long a stop waits for the agent server to exit before Docker kills it.</summary>
    public TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>One call to an agent server (drain, turns, health).</summary>
    public TimeSpan AgentCallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a new container may take to answer its health check.</summary>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a drain holds on the agent unless renewed; the manager renews it while it waits, so a drain whose
    /// manager was killed lapses by itself and the agent admits turns again.
    /// </summary>
    public TimeSpan DrainTimeToLive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The lease is extended this often while a recreate works (its time to live is three times this).</summary>
    public TimeSpan LeaseRenewal { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The image a new agent's container is created from.</summary>
    public string AgentImage { get; set; } = "trinity/agent:latest";

    /// <summary>A new agent's container is named <c>{ContainerNamePrefix}{agent}</c>, its workspace volume <c>…-workspace</c>.</summary>
    public string ContainerNamePrefix { get; set; } = "agent-";

    /// <summary>Labels added to every container this manager creates from scratch (besides <c>trinity.agent</c>).</summary>
    public Dictionary<string, string> Labels { get; set; } = [];

    /// <summary>
    /// <c>NAME=value</c> entries given to every container this manager creates from scratch (the coding-agent
    /// command, say; a list because the names themselves may contain <c>__</c>). Never a secret: the auth
    /// variables are always rewritten from the database.
    /// </summary>
    public List<string> Environment { get; set; } = [];

    /// <summary>The platform API key baked into agents in api-key mode; optional (secret: environment only).</summary>
    public string? PlatformApiKey { get; set; }

    /// <summary>
    /// The Docker network a new agent container joins when its base URL is not on loopback (with Compose,
    /// <c>trinity-agents</c>: the agent answers as <c>agent-{name}</c> there). Loopback base URLs use host networking.
    /// </summary>
    public string? AgentNetwork { get; set; }
}
