using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.WalkingSkeleton;

/// <summary>
/// The Orchestrator kills itself (SIGKILL) right after the transaction that decided the switch commits, before
/// its outbox relay runs. What that change produced must still be published, exactly once.
/// </summary>
public sealed class When_the_orchestrator_crashes_right_after_a_commit(When_the_orchestrator_crashes_right_after_a_commit.Scenario scenario)
    : IClassFixture<When_the_orchestrator_crashes_right_after_a_commit.Scenario>
{
    public sealed class Scenario : TwoSubscriptionsOneAgent
    {
        public int? ExitCodeOfCrash { get; private set; }
        public List<string> OutboxAfterCrash { get; } = [];
        public string? StateAfterCrash { get; private set; }
        public string? FingerprintAfterCrash { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await StartRotationWorkerAsync();
            var crashing = await StartOrchestratorAsync("orchestrator-crashing", new Dictionary<string, string?>
            {
                ["Trinity__FaultInjection__Points__saga-committed"] = "crash",
            });

            await ReportRateLimitOnAAsync();
            await crashing.WaitForExitAsync(TimeSpan.FromSeconds(30));
            ExitCodeOfCrash = crashing.ExitCode;
            await using (var db = NewDbContext())
                OutboxAfterCrash.AddRange(await db.OutboxMessages.Select(m => m.MessageType).ToListAsync());
            StateAfterCrash = await StateOfAgentAsync();
            FingerprintAfterCrash = (await AgentServer.LiveCredentialAsync()).Fingerprint;

            await StartOrchestratorAsync("orchestrator-restarted");
            await WaitUntilAgentRunsAsync(TokenB);
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void The_crash_came_after_the_commit_and_before_anything_was_published()
    {
        Assert.Equal(137, scenario.ExitCodeOfCrash);
        Assert.Equal("Reloading", scenario.StateAfterCrash);
        Assert.Equal("urn:message:trinity:reload-token", Assert.Single(scenario.OutboxAfterCrash));
        Assert.Equal(TokenFingerprint.Of(scenario.TokenA), scenario.FingerprintAfterCrash);
    }

    [Fact]
    public async Task The_restarted_orchestrator_publishes_it_exactly_once()
    {
        var rotation = Assert.Single(await scenario.RotationsAsync());
        Assert.Equal(RotationOutcome.Succeeded, rotation.Outcome);
        var reloaded = Assert.Single(scenario.Observer.Received<TokenReloaded>());
        Assert.Equal(rotation.Id, reloaded.RotationId);
        Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        await using var db = scenario.NewDbContext();
        Assert.Empty(await db.OutboxMessages.ToListAsync());
    }

    [Fact]
    public async Task The_redelivered_report_keeps_its_first_decision()
    {
        await using var db = scenario.NewDbContext();
        var failure = await db.Failures.SingleAsync();
        Assert.StartsWith("switched", failure.Decision, StringComparison.Ordinal);
        Assert.Equal((await scenario.RotationsAsync()).Single().Id, failure.RotationId);
    }
}
