using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>
/// The Orchestrator's Redis is one the test owns. It is stopped, a burst arrives, and no switch may happen while
/// it is down (safety over liveness); it comes back empty (Redis keeps nothing on disk here) and the switch
/// happens exactly once; a later rotation is still accepted, because the fence lives in PostgreSQL.
/// </summary>
public sealed class When_redis_goes_down_during_a_burst(When_redis_goes_down_during_a_burst.Scenario scenario)
    : IClassFixture<When_redis_goes_down_during_a_burst.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public AgentServerProcess AgentServer { get; private set; } = null!;
        public RedisProcess Redis { get; private set; } = null!;
        public int RotationsWhileDown { get; private set; } = -1;
        public string? FingerprintWhileDown { get; private set; }
        public int UndecidedWhileDown { get; private set; }
        public int AbsorbedWhileDown { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            AgentServer = await StartAgentServerAsync(Agent, TokenA, A.Id);
            await StartObserverAsync();
            Redis = Own(await RedisProcess.StartAsync(LogDirectory));
            await StartOrchestratorAsync(extra: Redis.For([]));
            await StartRotationWorkerAsync();

            await Redis.StopAsync();
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Observer.Publish(Failure(Agent, A.Id))));
            await Eventually.Until(async () => (await FailuresAsync()).Count, n => n == 20, "the intake to record the burst");
            // Four seconds with Redis down: no rotation may start, and the report the state machine must act on
            // waits for the lease undecided (the intake absorbed the rest of the burst).
            await Task.Delay(TimeSpan.FromSeconds(4));
            RotationsWhileDown = (await RotationsAsync(Agent)).Count;
            FingerprintWhileDown = (await AgentServer.LiveCredentialAsync()).Fingerprint;
            var failures = await FailuresAsync();
            UndecidedWhileDown = failures.Count(f => f.Decision is null);
            AbsorbedWhileDown = failures.Count(f => f.Decision?.StartsWith("absorbed", StringComparison.Ordinal) == true);

            await Redis.StartAsync();
            await Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), "the switch once Redis is back", TimeSpan.FromSeconds(90));
            await Eventually.Until(async () => (await FailuresAsync()).Count(f => f.Decision is not null), n => n == 20, "every report to be decided", TimeSpan.FromSeconds(90));
            await WaitUntilQuietAsync(TimeSpan.FromSeconds(90));

            await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = A.Id, RequestedBy = "operator" });
            await Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenA), "a later rotation back to A");
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void No_switch_happens_while_redis_is_down_and_nothing_is_dropped()
    {
        Assert.Equal(0, scenario.RotationsWhileDown);
        Assert.Equal(TokenFingerprint.Of(scenario.TokenA), scenario.FingerprintWhileDown);
        Assert.Equal((1, 19), (scenario.UndecidedWhileDown, scenario.AbsorbedWhileDown));
    }

    [Fact]
    public async Task Once_redis_is_back_the_switch_happens_exactly_once()
    {
        var switches = (await scenario.RotationsAsync(Scenario.Agent)).Where(r => r.Trigger == SwitchTrigger.AutoSwitch).ToList();
        Assert.Equal(RotationOutcome.Succeeded, Assert.Single(switches).Outcome);
        Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>(), s => s.Trigger == SwitchTrigger.AutoSwitch);
    }

    [Fact]
    public async Task A_later_rotation_is_accepted_because_the_fence_survived_in_postgresql()
    {
        var rotations = await scenario.RotationsAsync(Scenario.Agent);
        Assert.Equal([1L, 2L], rotations.Select(r => r.FencingToken));
        Assert.All(rotations, r => Assert.Equal(RotationOutcome.Succeeded, r.Outcome));
        Assert.Equal(2, (await scenario.AgentServer.LiveCredentialAsync()).Reloads);
    }

    [Fact]
    public void The_outage_is_visible_in_the_logs() =>
        Assert.Contains(scenario.ServiceOutputs(), o => o.Contains("Redis", StringComparison.OrdinalIgnoreCase) && o.Contains("\"@l\":\"Warning\"", StringComparison.Ordinal)
            || o.Contains("RedisConnectionException", StringComparison.Ordinal));
}
