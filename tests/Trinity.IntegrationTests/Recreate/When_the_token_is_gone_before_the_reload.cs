using Microsoft.EntityFrameworkCore;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// The switch to B is decided while no worker runs; B is removed before a worker picks the command up. With no
/// token to load, the worker falls back to a recreate, and the new container is baked without B's token: a
/// removed subscription's token never goes live.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_the_token_is_gone_before_the_reload(When_the_token_is_gone_before_the_reload.Scenario scenario)
    : IClassFixture<When_the_token_is_gone_before_the_reload.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenB { get; } = Canary.NewToken();
        public IList<string> EnvironmentAfter { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            var a = await AddSubscriptionAsync("subscription-a", tokenA);
            var b = await AddSubscriptionAsync("subscription-b", TokenB);
            var agent = await RunContainerAgentAsync("orphan", tokenA);
            await RegisterAgentAsync("orphan", a.Id, agent.BaseUrl, agent.ControlKey, agent.ContainerId);
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartContainerManagerAsync();

            await Observer.Publish(Failure("orphan", a.Id));
            await Eventually.Until(async () => (await RotationsAsync("orphan")).Count, n => n == 1, "the switch to B to be decided");
            await using (var db = NewDbContext())
                await db.Subscriptions.Where(s => s.Id == b.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.DeletedAt, DateTimeOffset.UtcNow));
            await StartRotationWorkerAsync(extra: new Dictionary<string, string?> { ["Trinity__RotationWorker__DrainTimeout"] = "00:00:02" });

            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count == 1, "the fallback recreate to finish", TimeSpan.FromSeconds(60));
            await WaitUntilQuietAsync();
            EnvironmentAfter = (await Containers.ByNameAsync("orphan")).Config.Env;
        }
    }

    [Fact]
    public void The_worker_falls_back_for_want_of_a_token()
    {
        Assert.Equal(FallbackReason.NoToken, Assert.Single(scenario.Observer.Received<TokenReloadFellBack>()).Reason);
        Assert.Equal(SwitchMethod.Recreate, Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>()).Method);
    }

    [Fact]
    public void The_new_container_carries_no_token_of_the_removed_subscription()
    {
        Assert.DoesNotContain(scenario.EnvironmentAfter, e => e.StartsWith("CLAUDE_CODE_OAUTH_TOKEN=", StringComparison.Ordinal));
        Assert.DoesNotContain(scenario.EnvironmentAfter, e => e.Contains(scenario.TokenB, StringComparison.Ordinal));
        Assert.Contains(scenario.EnvironmentAfter, e => e.StartsWith("TRINITY_AGENT_CONTROL_KEY=", StringComparison.Ordinal));
    }
}
