using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.WalkingSkeleton;

/// <summary>
/// The rotation is decided while no worker runs, so the saga waits in its reloading state; the Orchestrator
/// is then killed and restarted, and only after that does a worker start.
/// </summary>
public sealed class When_the_orchestrator_restarts_while_the_worker_is_down(When_the_orchestrator_restarts_while_the_worker_is_down.Scenario scenario)
    : IClassFixture<When_the_orchestrator_restarts_while_the_worker_is_down.Scenario>
{
    public sealed class Scenario : TwoSubscriptionsOneAgent
    {
        public string? StateBeforeRestart { get; private set; }
        public string? FingerprintBeforeRestart { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var orchestrator = await StartOrchestratorAsync("orchestrator-1");

            await ReportRateLimitOnAAsync();
            await Eventually.Until(async () => (await QueuesAsync()).Any(q => q.Name == EntityNames.Queues.RotationWorker && q.Ready == 1),
                "the ReloadToken to wait in the worker's queue");
            StateBeforeRestart = await StateOfAgentAsync();
            FingerprintBeforeRestart = (await AgentServer.LiveCredentialAsync()).Fingerprint;

            await orchestrator.KillAsync();
            await StartOrchestratorAsync("orchestrator-2");
            await StartRotationWorkerAsync();

            await WaitUntilAgentRunsAsync(TokenB);
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void The_saga_waited_in_its_reloading_state_and_the_agent_kept_its_token()
    {
        Assert.Equal("Reloading", scenario.StateBeforeRestart);
        Assert.Equal(TokenFingerprint.Of(scenario.TokenA), scenario.FingerprintBeforeRestart);
    }

    [Fact]
    public async Task The_rotation_completes_exactly_once_after_the_restart()
    {
        var rotation = Assert.Single(await scenario.RotationsAsync());
        Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
        Assert.Single(scenario.Observer.Received<TokenReloaded>());
        var switched = Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        Assert.Equal(rotation.Id, switched.RotationId);
        Assert.Equal("Idle", await scenario.StateOfAgentAsync());
    }

    [Fact]
    public async Task Nothing_is_left_in_any_queue()
    {
        Assert.All(await scenario.QueuesAsync(), q => Assert.True(q.IsEmpty, $"{q.Name}: {q.Ready} ready, {q.Unacked} unacked"));
    }
}
