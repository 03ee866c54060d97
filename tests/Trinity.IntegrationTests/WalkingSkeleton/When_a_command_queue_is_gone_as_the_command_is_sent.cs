using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.WalkingSkeleton;

/// <summary>
/// The worker's queue is deleted (an operator moving to quorum queues, a broker reset) before a rotation is decided.
/// The broker returns the <c>ReloadToken</c> rather than confirm a message it would drop, so the outbox keeps it; its
/// row is then rewritten to the address form of before commands went to their queue's exchange (<c>queue:…</c>).
/// The worker starts, declares its queue again, and the kept command reaches it: the agent switches once.
/// </summary>
public sealed class When_a_command_queue_is_gone_as_the_command_is_sent(When_a_command_queue_is_gone_as_the_command_is_sent.Scenario scenario)
    : IClassFixture<When_a_command_queue_is_gone_as_the_command_is_sent.Scenario>
{
    public sealed class Scenario : TwoSubscriptionsOneAgent
    {
        public int KeptWhileTheQueueWasGone { get; private set; }
        public string? FingerprintWhileTheQueueWasGone { get; private set; }
        public int RowsRewrittenToTheOldAddress { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await StartOrchestratorAsync();
            await Management.DeleteQueueAsync(VirtualHost, EntityNames.Queues.RotationWorker);

            await ReportRateLimitOnAAsync();
            await Eventually.Until(async () => await ReloadRowsAsync() == 1, "the ReloadToken to be committed to the outbox");
            // Several sends by the writer and the relay are returned meanwhile.
            await Task.Delay(TimeSpan.FromSeconds(6));
            KeptWhileTheQueueWasGone = await ReloadRowsAsync();
            FingerprintWhileTheQueueWasGone = (await AgentServer.LiveCredentialAsync()).Fingerprint;
            await using (var db = NewDbContext())
                RowsRewrittenToTheOldAddress = await db.OutboxMessages.Where(m => m.DestinationAddress!.EndsWith(EntityNames.Queues.RotationWorker))
                    .ExecuteUpdateAsync(m => m.SetProperty(r => r.DestinationAddress, $"queue:{EntityNames.Queues.RotationWorker}"));

            await StartRotationWorkerAsync();
            await WaitUntilAgentRunsAsync(TokenB);
            await WaitUntilQuietAsync();
        }

        async Task<int> ReloadRowsAsync()
        {
            await using var db = NewDbContext();
            return await db.OutboxMessages.CountAsync(m => m.DestinationAddress!.EndsWith(EntityNames.Queues.RotationWorker));
        }
    }

    [Fact]
    public void The_outbox_kept_the_command_while_its_queue_was_gone()
    {
        Assert.Equal(1, scenario.KeptWhileTheQueueWasGone);
        Assert.Equal(1, scenario.RowsRewrittenToTheOldAddress);
        Assert.Equal(TokenFingerprint.Of(scenario.TokenA), scenario.FingerprintWhileTheQueueWasGone);
    }

    [Fact]
    public async Task The_kept_command_reaches_the_worker_once_its_queue_is_back_and_nothing_is_parked()
    {
        Assert.Equal(RotationOutcome.Succeeded, Assert.Single(await scenario.RotationsAsync()).Outcome);
        Assert.Single(scenario.Observer.Received<TokenReloaded>());
        await using var db = scenario.NewDbContext();
        Assert.Empty(await db.ParkedOutboxMessages.ToListAsync());
    }
}
