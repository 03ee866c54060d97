using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.WalkingSkeleton;

/// <summary>The whole loop on real RabbitMQ, PostgreSQL and Redis, with real service processes.</summary>
public sealed class When_one_failure_is_reported(When_one_failure_is_reported.Scenario scenario) : IClassFixture<When_one_failure_is_reported.Scenario>
{
    public sealed class Scenario : TwoSubscriptionsOneAgent
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();

            await ReportRateLimitOnAAsync();

            await WaitUntilAgentRunsAsync(TokenB);
            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count > 0, "the switch to be published");
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public async Task The_agent_is_assigned_the_alternative_in_the_database()
    {
        await using var db = scenario.NewDbContext();
        var agent = await db.Agents.SingleAsync(a => a.Name == TwoSubscriptionsOneAgent.Agent);
        Assert.Equal(scenario.B.Id, agent.SubscriptionId);
    }

    [Fact]
    public async Task The_agent_server_runs_the_alternative_token_by_hot_reload()
    {
        var live = await scenario.AgentServer.LiveCredentialAsync();
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), live.Fingerprint);
        Assert.Equal("Reload", live.Source);
    }

    [Fact]
    public void One_token_reload_and_exactly_one_switch_are_published()
    {
        var reloaded = Assert.Single(scenario.Observer.Received<TokenReloaded>());
        var switched = Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), reloaded.TokenFingerprint);
        Assert.Equal((scenario.A.Id, scenario.B.Id, SwitchMethod.HotReload, SwitchTrigger.AutoSwitch),
            (switched.From, switched.To, switched.Method, switched.Trigger));
        Assert.Equal(reloaded.RotationId, switched.RotationId);
    }

    [Fact]
    public async Task The_agent_lease_is_released()
    {
        Assert.Null(await scenario.LeaseOwnerAsync(TwoSubscriptionsOneAgent.Agent));
    }

    [Fact]
    public async Task The_rotation_is_in_the_history_with_its_outcome_and_the_failure_with_its_decision()
    {
        var rotation = Assert.Single(await scenario.RotationsAsync());
        Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
        Assert.Equal(SwitchMethod.HotReload, rotation.Method);
        Assert.Equal((scenario.A.Id, scenario.B.Id), (rotation.FromSubscriptionId, rotation.ToSubscriptionId));
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), rotation.ObservedFingerprint);
        Assert.Equal("Idle", await scenario.StateOfAgentAsync());

        await using var db = scenario.NewDbContext();
        var failure = await db.Failures.SingleAsync();
        Assert.Equal(rotation.Id, failure.RotationId);
        Assert.StartsWith("switched", failure.Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_is_left_in_any_queue_including_error_queues()
    {
        var queues = await scenario.QueuesAsync();
        Assert.Contains(queues, q => q.Name == EntityNames.Queues.RotationWorker);
        Assert.All(queues, q => Assert.True(q.IsEmpty, $"{q.Name}: {q.Ready} ready, {q.Unacked} unacked"));
        await using var db = scenario.NewDbContext();
        Assert.Empty(await db.OutboxMessages.ToListAsync());
    }

    [Fact]
    public void No_token_appears_in_any_service_output()
    {
        var outputs = scenario.ServiceOutputs();
        Assert.True(outputs.Sum(o => o.Length) > 1000, "the scan read almost nothing: it would prove nothing");
        foreach (var output in outputs)
        {
            Assert.DoesNotContain(scenario.TokenA, output, StringComparison.Ordinal);
            Assert.DoesNotContain(scenario.TokenB, output, StringComparison.Ordinal);
        }
    }
}
