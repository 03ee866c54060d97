using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Safety;

/// <summary>
/// The agent is reached through a fault proxy that holds the first reload for seven seconds. That rotation (A → B,
/// fence 1) passes its 3 s deadline while its POST is still on the way; a reassignment to C that arrived meanwhile
/// runs next (fence 2) and reaches the agent first. When the late POST of fence 1 finally lands, the agent itself must
/// refuse it — the worker checked the fence before it sent, which is no longer enough.
/// </summary>
public sealed class When_a_late_reload_lands_after_a_newer_one(When_a_late_reload_lands_after_a_newer_one.Scenario scenario)
    : IClassFixture<When_a_late_reload_lands_after_a_newer_one.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public string TokenC { get; } = Canary.NewToken();
        public AgentServerProcess AgentServer { get; private set; } = null!;
        public FaultProxy Proxy { get; private set; } = null!;
        public List<Rotation> Rotations { get; private set; } = [];
        public LiveCredential Live { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            var a = await AddSubscriptionAsync("subscription-a", tokenA);
            await AddSubscriptionAsync("subscription-b", Canary.NewToken());
            var c = await AddSubscriptionAsync("subscription-c", TokenC);
            var agent = RunAgentServer(Agent, tokenA);
            await agent.Process.WaitUntilStartedAsync();
            AgentServer = agent;
            Proxy = Own(FaultProxy.Start(new Uri(agent.BaseUrl).Port));
            await RegisterAgentAsync(Agent, a.Id, Proxy.BaseUrl, agent.ControlKey);
            await StartObserverAsync();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__ReloadDeadline"] = "00:00:03" });
            await StartRotationWorkerAsync();

            Proxy.DelayNext("POST /api/credentials/reload-token", TimeSpan.FromSeconds(7));
            await Observer.Publish(Failure(Agent, a.Id));
            await Eventually.Until(async () => (await RotationsAsync(Agent)).Count, n => n == 1, "the first rotation to start");
            // The reassignment only once the first POST is held in the proxy: on a loaded machine the worker can take
            // longer than the 3 s deadline to send it, and then the newer rotation's POST would be the one held.
            await Eventually.Until(() => Task.FromResult(Proxy.RequestLines.Any(line => line.StartsWith("POST /api/credentials/reload-token", StringComparison.Ordinal))),
                "the first reload to be held in the proxy");
            await Observer.Publish(new SubscriptionReassignmentRequested { RequestId = Guid.NewGuid(), AgentName = Agent, SubscriptionId = c.Id, RequestedBy = "operator" });

            await Eventually.Until(() => Observer.Received<TokenRotationFailed>().Any(f => f.Reason == RotationFailureReason.FencingTokenStale),
                "the late reload to be refused", TimeSpan.FromSeconds(45));
            await WaitUntilQuietAsync();
            Rotations = await RotationsAsync(Agent);
            Live = await agent.LiveCredentialAsync();
        }
    }

    [Fact]
    public void The_agent_runs_the_newer_rotations_token_and_took_one_reload_only()
    {
        Assert.Equal((TokenFingerprint.Of(scenario.TokenC), 1), (scenario.Live.Fingerprint, scenario.Live.Reloads));
    }

    [Fact]
    public void The_late_reload_was_refused_by_the_agent_and_kept_in_its_rotations_history()
    {
        var (first, second) = (scenario.Rotations[0], scenario.Rotations[1]);
        Assert.Equal((1L, 2L), (first.FencingToken, second.FencingToken));
        Assert.StartsWith("DeadlinePassed", first.OutcomeDetail, StringComparison.Ordinal);
        Assert.Contains("then FencingTokenStale: the agent refused fence 1", first.OutcomeDetail, StringComparison.Ordinal);
        Assert.Equal((RotationOutcome.Succeeded, SwitchMethod.HotReload), (second.Outcome, second.Method));
        Assert.Equal(2, scenario.Proxy.RequestLines.Count(line => line.StartsWith("POST /api/credentials/reload-token", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_state_machine_and_the_agent_agree()
    {
        var saga = (await scenario.SagaAsync(Scenario.Agent))!;
        Assert.False(saga.OutOfSync);
        Assert.Equal(scenario.Rotations[1].ToSubscriptionId, saga.AppliedSubscriptionId);
    }
}
