using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>B failed a minute ago (inside its cooldown; its agent, with no placement, is moved off it); now A fails too.</summary>
public sealed class When_no_alternative_is_viable(When_no_alternative_is_viable.Scenario scenario) : IClassFixture<When_no_alternative_is_viable.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public AgentServerProcess AgentServer { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", TokenA);
            B = await AddSubscriptionAsync("subscription-b", Canary.NewToken());
            AgentServer = await StartAgentServerAsync("alpha", TokenA, A.Id);
            await RegisterAgentAsync("beta", B.Id, baseUrl: null, controlKey: null);
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();

            await Observer.Publish(Failure("beta", B.Id) with { OccurredAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
            await Eventually.Until(async () => (await FailuresAsync()).Count(f => f.Decision is not null), n => n == 1, "beta's failure to be decided");
            await Observer.Publish(Failure("alpha", A.Id));
            await Eventually.Until(() => Observer.Received<AgentSubscriptionsExhausted>().Count == 1, "exhaustion to be published");
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public async Task Exhaustion_is_published_and_nothing_changes()
    {
        var exhausted = Assert.Single(scenario.Observer.Received<AgentSubscriptionsExhausted>());
        Assert.Equal(("alpha", scenario.A.Id), (exhausted.AgentName, exhausted.FailedSubscriptionId));
        Assert.Equal(scenario.A.Id, (await scenario.AgentAsync("alpha")).SubscriptionId);
        Assert.Empty(await scenario.RotationsAsync("alpha"));
        var live = await scenario.AgentServer.LiveCredentialAsync();
        Assert.Equal((TokenFingerprint.Of(scenario.TokenA), 0), (live.Fingerprint, live.Reloads));
        Assert.StartsWith("exhausted", (await scenario.FailuresAsync()).Single(f => f.AgentName == "alpha").Decision, StringComparison.Ordinal);
    }
}

/// <summary>Auto-switch turned off by configuration: the failure is still recorded, and nobody moves.</summary>
public sealed class When_auto_switch_is_disabled(When_auto_switch_is_disabled.Scenario scenario) : IClassFixture<When_auto_switch_is_disabled.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public Subscription A { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            A = await AddSubscriptionAsync("subscription-a", Canary.NewToken());
            await AddSubscriptionAsync("subscription-b", Canary.NewToken());
            await RegisterAgentAsync("alpha", A.Id, baseUrl: null, controlKey: null);
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__AutoSwitchEnabled"] = "false" });
            await using var observer = await BusObserver.StartAsync(this);
            await observer.Publish(Failure("alpha", A.Id));
            await Eventually.Until(async () => (await FailuresAsync()).Count(f => f.Decision is not null), n => n == 1, "the failure to be recorded");
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public async Task The_failure_is_recorded_and_the_agent_stays()
    {
        Assert.Equal("recorded: auto-switch is disabled", Assert.Single(await scenario.FailuresAsync()).Decision);
        Assert.Equal(scenario.A.Id, (await scenario.AgentAsync("alpha")).SubscriptionId);
        Assert.Empty(await scenario.RotationsAsync());
    }
}
