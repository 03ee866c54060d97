using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// An outbox row whose type no service knows any more (written by a version since rolled back, say) sits in front of
/// an ordinary one. The Orchestrator's relay parks it with the reason and sends the one behind it; the operator sees
/// the parked row with <c>./trinity bus outbox</c> and in <c>/metrics</c>.
/// </summary>
public sealed class When_an_outbox_message_can_never_be_sent(When_an_outbox_message_can_never_be_sent.Scenario scenario)
    : IClassFixture<When_an_outbox_message_can_never_be_sent.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

        public Guid Behind { get; } = Guid.NewGuid();
        public JsonElement Outbox { get; private set; }
        public CommandResult Table { get; private set; } = null!;
        public string Metrics { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await StartObserverAsync();
            await using (var db = NewDbContext())
            {
                db.OutboxMessages.Add(new OutboxMessage { MessageId = Guid.NewGuid(), MessageType = "urn:message:trinity:retired-long-ago", Body = "{}", CreatedAt = DateTimeOffset.UtcNow });
                db.OutboxMessages.Add(new OutboxMessage
                {
                    MessageId = Guid.NewGuid(),
                    MessageType = "urn:message:trinity:agent-subscriptions-exhausted",
                    Body = JsonSerializer.Serialize(new AgentSubscriptionsExhausted { AgentName = "alpha", FailedSubscriptionId = Behind }, Json),
                    CreatedAt = DateTimeOffset.UtcNow,
                });
                await db.SaveChangesAsync();
            }
            var metricsPort = FreePort.Next();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{metricsPort}" });
            await Eventually.Until(() => Observer.Received<AgentSubscriptionsExhausted>().Any(e => e.FailedSubscriptionId == Behind), "the row behind to be sent");
            await WaitUntilQuietAsync();
            // Only now: the Orchestrator's relay is the one that met the row, so its metrics are the ones to read.
            var (_, api) = await StartApiAsync();
            var environment = CommandRun.CliEnvironmentFor(api);
            Outbox = JsonDocument.Parse((await CommandRun.TrinityAsync(environment, null, "bus", "outbox", "--json")).Output).RootElement;
            Table = await CommandRun.TrinityAsync(environment, null, "bus", "outbox");
            using var http = new HttpClient();
            Metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        }
    }

    [Fact]
    public void The_row_behind_it_is_sent_and_nothing_waits()
    {
        Assert.Single(scenario.Observer.Received<AgentSubscriptionsExhausted>(), e => e.FailedSubscriptionId == scenario.Behind);
        Assert.Equal(0, scenario.Outbox.GetProperty("pending").GetInt32());
    }

    [Fact]
    public void The_cli_shows_the_parked_row_with_its_reason_and_without_its_body()
    {
        var parked = Assert.Single(scenario.Outbox.GetProperty("parked").EnumerateArray());
        Assert.Equal("urn:message:trinity:retired-long-ago", parked.GetProperty("messageType").GetString());
        Assert.Contains("No contract has the message URN", parked.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.False(parked.TryGetProperty("body", out _));
        Assert.Equal(0, scenario.Table.ExitCode);
        Assert.Contains("retired-long-ago", scenario.Table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_metrics_count_it()
    {
        Assert.Contains("trinity_outbox_parked_total 1", scenario.Metrics, StringComparison.Ordinal);
        Assert.Contains("trinity_outbox_pending_messages 0", scenario.Metrics, StringComparison.Ordinal);
    }
}
