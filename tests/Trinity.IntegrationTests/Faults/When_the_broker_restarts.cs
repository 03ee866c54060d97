using System.Diagnostics;
using System.Net;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The class's own RabbitMQ node is stopped for 15 s and started again, as a new user did on <c>make up</c>. Every
/// quarter of a second each service's <c>/health/ready</c> and the broker's consumer counts are read. A service must
/// never say ready while the broker is down, nor stay "ready" while the broker shows none of its queues' consumers;
/// it says ready again once they are back, and the next switch works.
/// </summary>
public sealed class When_the_broker_restarts(When_the_broker_restarts.Scenario scenario) : IClassFixture<When_the_broker_restarts.Scenario>
{
    public sealed record ServiceUnderTest(string Name, string[] Queues, string ReadyUrl);

    /// <summary>One reading: seconds since the broker started again (negative while it was down), readiness, and the service's queues' least consumer count (null while the broker cannot say).</summary>
    public sealed record Sample(string Service, double SinceRestart, bool Ready, int? LeastConsumers);

    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public AgentServerProcess AgentServer { get; private set; } = null!;
        public List<ServiceUnderTest> Services { get; } = [];
        public List<Sample> Samples { get; } = [];
        public TimeSpan SwitchAfterRestart { get; private set; }
        public IReadOnlyList<Violation> Violations { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await UseOwnBrokerAsync();
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            AgentServer = await StartAgentServerAsync(Agent, TokenA, A.Id);
            await StartObserverAsync();
            foreach (var (service, name, queues) in new[]
            {
                ("Trinity.Orchestrator", "orchestrator", new[] { EntityNames.Queues.FailureIntake, EntityNames.Queues.AgentCredentials, EntityNames.Queues.SubscriptionChanges }),
                ("Trinity.RotationWorker", "rotation-worker", new[] { EntityNames.Queues.RotationWorker }),
                ("Trinity.ContainerManager", "container-manager", EntityNames.Queues.ContainerManagerQueuesOf(DockerHostName.Local).ToArray()),
            })
            {
                var url = $"http://127.0.0.1:{FreePort.Next()}";
                await Start(service, name, new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = url }).WaitUntilStartedAsync();
                Services.Add(new ServiceUnderTest(name, queues, url + "/health/ready"));
            }
            await Eventually.Until(() => EveryServiceAsync(ready: true), "every service to be ready before the fault");

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var clock = Stopwatch.StartNew();
            await OwnBroker!.StopAsync();
            var stoppedAt = clock.Elapsed;
            while (clock.Elapsed - stoppedAt < Outage)
                await SampleAsync(http, -(Outage - (clock.Elapsed - stoppedAt)).TotalSeconds, brokerUp: false);
            await OwnBroker.StartAsync();
            var restart = Stopwatch.StartNew();
            // MassTransit reconnects with a back-off of its own (3 s growing to 30 s): allow for its longest step.
            while (restart.Elapsed < TimeSpan.FromSeconds(75) && !Services.All(IsBack))
                await SampleAsync(http, restart.Elapsed.TotalSeconds, brokerUp: true);
            foreach (var service in Services)
                RecoveryFigures.Record($"broker-restart/{service.Name}-ready", TimeSpan.FromSeconds(FirstBack(service.Name)), $"RabbitMQ node stopped {Outage.TotalSeconds:F0} s");

            await Observer.Publish(Failure(Agent, A.Id));
            var switching = Stopwatch.StartNew();
            await Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), "the first switch after the restart", TimeSpan.FromSeconds(60));
            SwitchAfterRestart = switching.Elapsed;
            await WaitUntilQuietAsync(TimeSpan.FromSeconds(60), errorQueuesToo: false);
            RecoveryFigures.Record("broker-restart/quiet-after-first-switch", restart.Elapsed, "RabbitMQ node started → every service ready → one switch → quiet");
            Violations = InvariantChecker.Check(await InvariantSnapshot.TakeAsync(this, new RunRecord
            {
                LiveCredentials = { [Agent] = async () => (await AgentServer.LiveCredentialAsync()).Fingerprint },
                Canaries = [TokenA, TokenB],
            }));
        }

        bool IsBack(ServiceUnderTest service) => Samples.LastOrDefault(s => s.Service == service.Name) is { Ready: true, LeastConsumers: > 0 };

        double FirstBack(string service) =>
            Samples.Where(s => s.Service == service && s.SinceRestart > 0 && s.Ready && s.LeastConsumers > 0).Select(s => s.SinceRestart).DefaultIfEmpty(double.NaN).Min();

        async Task SampleAsync(HttpClient http, double at, bool brokerUp)
        {
            foreach (var service in Services)
            {
                // Readiness first, then the broker: a consumer gone by the second reading was gone when the service answered.
                var ready = await IsReadyAsync(http, service.ReadyUrl);
                int? least = null;
                if (brokerUp)
                    foreach (var queue in service.Queues)
                        least = Math.Min(least ?? int.MaxValue, await RawAmqpProducer.ConsumersAsync(this, queue) ?? int.MaxValue);
                Samples.Add(new Sample(service.Name, at, ready, least == int.MaxValue ? null : least));
            }
            await Task.Delay(250);
        }

        async Task<bool> EveryServiceAsync(bool ready)
        {
            using var http = new HttpClient();
            foreach (var service in Services)
                if (await IsReadyAsync(http, service.ReadyUrl) != ready)
                    return false;
            return true;
        }

        static async Task<bool> IsReadyAsync(HttpClient http, string url)
        {
            try
            {
                using var response = await http.GetAsync(url);
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }
    }

    [Fact]
    public void No_service_says_it_is_ready_while_the_broker_is_down()
    {
        var down = scenario.Samples.Where(s => s.SinceRestart < 0).ToList();
        Assert.NotEmpty(down);
        Assert.DoesNotContain(down, s => s.Ready);
    }

    [Fact]
    public void No_service_stays_ready_while_the_broker_shows_none_of_its_consumers()
    {
        var lies = scenario.Samples.Where(s => s.SinceRestart > 0 && s.Ready && s.LeastConsumers == 0).ToList();
        Assert.True(lies.Count == 0, "ready with no consumer: " + string.Join(", ", lies));
    }

    [Fact]
    public async Task Every_service_is_ready_again_with_its_consumers_and_the_next_switch_works()
    {
        foreach (var service in scenario.Services)
        {
            var last = scenario.Samples.Last(s => s.Service == service.Name);
            Assert.True(last.Ready && last.LeastConsumers > 0, $"{service.Name}: {last}");
        }
        Assert.Equal(RotationOutcome.Succeeded, Assert.Single(await scenario.RotationsAsync(Scenario.Agent)).Outcome);
        Assert.True(scenario.SwitchAfterRestart < TimeSpan.FromSeconds(10), $"the switch after the restart took {scenario.SwitchAfterRestart}");
    }

    [Fact]
    public void The_invariant_checker_is_green_once_quiet() => Assert.Empty(scenario.Violations);
}
