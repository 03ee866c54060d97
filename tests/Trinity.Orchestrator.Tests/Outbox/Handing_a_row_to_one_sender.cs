using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.Orchestrator.Tests.Outbox;

/// <summary>
/// Each outbox row has exactly one sender, by a claim in the database (design §3): its writer while that process
/// beats, else any relay. Two senders stand for two replicas — the writer's process with its relay, and another
/// replica's relay — on real PostgreSQL, with the in-memory bus (slowed down or refusing where a spec says) for
/// the broker.
/// </summary>
public sealed class Handing_a_row_to_one_sender(OrchestratorStores stores) : IClassFixture<OrchestratorStores>, IAsyncLifetime
{
    static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);
    readonly List<IAsyncDisposable> _running = [];

    [Fact]
    public async Task Under_back_pressure_the_writer_alone_sends_its_row_however_long_it_takes()
    {
        await StartRelayAsync(stores.GetRequiredService<OutboxDispatcher>());
        await StartRelayAsync(NewReplica());
        stores.PublishDelay = TimeSpan.FromSeconds(4);
        try
        {
            var message = Deadline();
            await using (var scope = stores.NewScope())
            {
                var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
                outbox.Publish(message);
                // Twice the sender timeout and more than the two seconds after which the relays of old took a row.
                await outbox.SaveAndSendAsync(transaction: null, default);
            }
            await QuietAsync();
            Assert.Equal(1, SentCount(message));
        }
        finally
        {
            stores.PublishDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_relay_busy_with_a_slow_batch_keeps_beating_so_no_other_takes_what_its_writer_is_sending()
    {
        await StartRelayAsync(stores.GetRequiredService<OutboxDispatcher>());
        stores.PublishDelay = TimeSpan.FromSeconds(4);
        try
        {
            // The writer's own relay takes an unclaimed row and is busy publishing it for twice the sender timeout.
            var backlog = Deadline();
            await using (var db = stores.NewDbContext())
            {
                db.OutboxMessages.Add(Row(backlog, claimedBy: null));
                await db.SaveChangesAsync();
            }
            await Task.Delay(TimeSpan.FromMilliseconds(600));
            await StartRelayAsync(NewReplica());
            var message = Deadline();
            await using (var scope = stores.NewScope())
            {
                var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
                outbox.Publish(message);
                await outbox.SaveAndSendAsync(transaction: null, default);
            }
            await QuietAsync();
            Assert.Equal((1, 1), (SentCount(backlog), SentCount(message)));
        }
        finally
        {
            stores.PublishDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task The_rows_of_a_process_that_stopped_beating_are_sent_by_another_once()
    {
        var crashed = Guid.NewGuid();
        var message = Deadline();
        await using (var db = stores.NewDbContext())
        {
            db.OutboxSenders.Add(new OutboxSender { Id = crashed, SeenAt = DateTimeOffset.UtcNow.AddSeconds(-1) });
            db.OutboxMessages.Add(Row(message, claimedBy: crashed));
            await db.SaveChangesAsync();
        }
        await StartRelayAsync(NewReplica());
        await StartRelayAsync(NewReplica());

        await QuietAsync();
        Assert.Equal(1, SentCount(message));
    }

    [Fact]
    public async Task A_row_the_broker_refused_is_handed_back_and_sent_by_a_relay()
    {
        await StartRelayAsync(stores.GetRequiredService<OutboxDispatcher>());
        await StartRelayAsync(NewReplica());
        var message = Deadline();
        await using (var scope = stores.NewScope())
        {
            var outbox = scope.ServiceProvider.GetRequiredService<OutboxWriter>();
            outbox.Publish(message);
            stores.RefuseOnce.Add(message.RotationId);
            await outbox.SaveAndSendAsync(transaction: null, default);
        }

        await QuietAsync();
        Assert.Empty(stores.RefuseOnce);
        Assert.Equal(1, SentCount(message));
    }

    [Fact]
    public async Task A_row_that_can_never_be_sent_is_parked_with_its_reason_and_holds_back_nothing()
    {
        var good = Deadline();
        var (retired, unreadable) = (NewId.NextGuid(), NewId.NextGuid());
        await using (var db = stores.NewDbContext())
        {
            db.OutboxMessages.Add(new OutboxMessage { MessageId = retired, MessageType = "urn:message:trinity:retired-long-ago", Body = "{}", CreatedAt = DateTimeOffset.UtcNow });
            db.OutboxMessages.Add(new OutboxMessage { MessageId = unreadable, MessageType = "urn:message:trinity:rotation-deadline-passed", Body = "[1,2]", CreatedAt = DateTimeOffset.UtcNow });
            db.OutboxMessages.Add(Row(good, claimedBy: null));
            await db.SaveChangesAsync();
        }
        await StartRelayAsync(NewReplica());

        await QuietAsync();
        Assert.Equal(1, SentCount(good));
        await using var read = stores.NewDbContext();
        var parked = await read.ParkedOutboxMessages.OrderBy(p => p.Id).ToListAsync();
        Assert.Contains("No contract has the message URN", parked.Single(p => p.MessageId == retired).Reason, StringComparison.Ordinal);
        Assert.Contains("does not read as RotationDeadlinePassed", parked.Single(p => p.MessageId == unreadable).Reason, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var relay in _running)
            await relay.DisposeAsync();
    }

    OutboxDispatcher NewReplica() => new(stores.GetRequiredService<IBus>(), stores.GetRequiredService<IServiceScopeFactory>(), stores.GetRequiredService<ILogger<OutboxDispatcher>>());

    async Task StartRelayAsync(OutboxDispatcher sender)
    {
        var relay = new OutboxRelay(stores.GetRequiredService<IServiceScopeFactory>(), sender,
            stores.GetRequiredService<IOptions<OutboxOptions>>(), stores.GetRequiredService<ILogger<OutboxRelay>>());
        await relay.StartAsync(default);
        _running.Add(new Stopping(relay));
    }

    /// <summary>No row left, and still none a second later (a late second sender would have shown by then).</summary>
    async Task QuietAsync()
    {
        async Task<bool> Empty()
        {
            await using var db = stores.NewDbContext();
            return !await db.OutboxMessages.AnyAsync();
        }
        await Eventually.Until(Empty, "every outbox row to be sent or parked", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.True(await Empty());
    }

    int SentCount(RotationDeadlinePassed message) => stores.DeadlinesSent.GetValueOrDefault(message.RotationId);

    static RotationDeadlinePassed Deadline() => new() { RotationId = NewId.NextGuid(), AgentName = "alpha", Deadline = DateTimeOffset.UtcNow };

    static OutboxMessage Row(RotationDeadlinePassed message, Guid? claimedBy) => new()
    {
        MessageId = NewId.NextGuid(),
        MessageType = "urn:message:trinity:rotation-deadline-passed",
        Body = System.Text.Json.JsonSerializer.Serialize(message, Json),
        ClaimedBy = claimedBy,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    sealed class Stopping(OutboxRelay relay) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await relay.StopAsync(default);
    }
}
