using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Deployment;

/// <summary>
/// The images `make images` builds, run as an operator would run them here: on the host network, against the
/// local RabbitMQ, PostgreSQL and Redis, configured only by environment variables (the container manager with
/// the Docker socket and its group). The migrator image applies the schema; every service reports healthy
/// through its image's own HEALTHCHECK; then the full loop runs — a failure report hot-reloads an agent in a
/// real container — with no service started from build output.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_every_service_runs_from_its_image(When_every_service_runs_from_its_image.Scenario scenario)
    : IClassFixture<When_every_service_runs_from_its_image.Scenario>
{
    public static readonly string[] Services = ["orchestrator", "rotation-worker", "container-manager", "api"];

    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public ContainerAgent Agent { get; private set; } = null!;
        public Dictionary<string, Docker.DotNet.Models.ContainerInspectResponse> Running { get; } = [];
        public string MigratorOutput { get; private set; } = "";
        public long MigratorExitCode { get; private set; }
        public LiveCredential Live { get; private set; } = null!;
        public IReadOnlyList<AgentSubscriptionSwitched> Switched { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var environment = ServiceEnvironment();

            var migrator = await Containers.RunServiceAsync("migrator", "trinity/migrator:latest", environment);
            MigratorExitCode = (await Containers.Docker.Containers.WaitContainerAsync(migrator)).StatusCode;
            MigratorOutput = await Containers.LogsAsync(migrator);

            A = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            Agent = await RunContainerAgentAsync("alpha", TokenA);
            await RegisterAgentAsync("alpha", A.Id, Agent.BaseUrl, Agent.ControlKey, Agent.ContainerId);
            await using var observer = await BusObserver.StartAsync(this);

            // The socket's group, as docker-compose.yml's group_add gives it (DOCKER_GID).
            var socketGroup = (await CommandRun.RunAsync("stat", ["-c", "%g", "/var/run/docker.sock"], new Dictionary<string, string?>())).Output.Trim();
            var ids = new Dictionary<string, string>();
            foreach (var service in Services)
            {
                var settings = new Dictionary<string, string?>(environment) { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}" };
                if (service == "api")
                    settings["Trinity__Api__AdminKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
                ids[service] = service == "container-manager"
                    ? await Containers.RunServiceAsync(service, $"trinity/{service}:latest", settings, ["/var/run/docker.sock:/var/run/docker.sock"], [socketGroup])
                    : await Containers.RunServiceAsync(service, $"trinity/{service}:latest", settings);
            }
            foreach (var (service, id) in ids)
            {
                Running[service] = await Eventually.Until(() => Containers.InspectAsync(id), c => c.State.Health?.Status is "healthy" or "unhealthy" || !c.State.Running,
                    $"{service} to report its health", TimeSpan.FromSeconds(90));
            }

            await observer.Publish(Failure("alpha", A.Id));
            Live = await Eventually.Until(Agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), "the agent to run B", TimeSpan.FromSeconds(60));
            await Eventually.Until(() => observer.Received<AgentSubscriptionSwitched>().Count > 0, "the switch to be published");
            Switched = observer.Received<AgentSubscriptionSwitched>();
        }
    }

    [Fact]
    public void The_migrator_image_applies_the_schema()
    {
        Assert.Equal(0, scenario.MigratorExitCode);
        Assert.Contains("Schema is up to date", scenario.MigratorOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_service_image_reports_healthy_through_its_own_healthcheck()
    {
        foreach (var service in Services)
            Assert.True(scenario.Running[service].State.Health?.Status == "healthy", $"{service}: {scenario.Running[service].State.Health?.Status ?? "no health"}");
    }

    [Fact]
    public void No_service_image_runs_as_root()
    {
        foreach (var service in Services)
        {
            Assert.Equal("10001:10001", scenario.Running[service].Config.User);
            var status = File.ReadAllLines($"/proc/{scenario.Running[service].State.Pid}/status");
            Assert.Equal("10001", status.Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
    }

    [Fact]
    public void A_failure_report_hot_reloads_the_agent_through_the_services_images()
    {
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), scenario.Live.Fingerprint);
        Assert.Equal("Reload", scenario.Live.Source);
        var switched = Assert.Single(scenario.Switched);
        Assert.Equal((scenario.B.Id, SwitchMethod.HotReload), (switched.To, switched.Method));
    }
}
