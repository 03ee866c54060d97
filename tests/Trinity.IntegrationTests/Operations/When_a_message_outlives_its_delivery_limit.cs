using Trinity.Infrastructure.Configuration;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// The Orchestrator starts alone and declares the rotation worker's queue, as a quorum queue, before any worker ever
/// ran. A message on it is taken by one consumer after another that dies holding it, as many times as the delivery
/// limit allows. A worker with a wrong broker password refuses to start and says why; the right one starts and,
/// rather than take the message once more, moves it to <c>_error</c> with the reason.
/// <c>bus errors</c> shows that reason and <c>bus replay</c> brings the message back counted afresh: the worker
/// handles it (a reload for an agent that does not exist, which it fails as such) and nothing is left anywhere.
/// </summary>
public sealed class When_a_message_outlives_its_delivery_limit(When_a_message_outlives_its_delivery_limit.Scenario scenario)
    : IClassFixture<When_a_message_outlives_its_delivery_limit.Scenario>
{
    const string Queue = EntityNames.Queues.RotationWorker, ErrorQueue = Queue + "_error";
    static readonly int DeliveryLimit = new RabbitMqOptions().DeliveryLimit;

    public sealed class Scenario : TrinityTestSystem
    {
        /// <summary>The agent the command names: none such exists, so the worker, once it handles it, fails it and is done.</summary>
        public string Poison { get; } = $"poison-{Guid.NewGuid():N}";
        public QueueDeclaration? DeclaredBySender { get; private set; }
        public QueueDeclaration? DeclaredAfterConsumer { get; private set; }
        public int Deliveries { get; private set; }
        public PeekedMessage MovedAtTheLimit { get; private set; } = null!;
        public CommandResult BusErrors { get; private set; } = null!;
        public CommandResult Replay { get; private set; } = null!;
        public IReadOnlyList<QueueCounts> QueuesAtTheEnd { get; private set; } = [];
        public string WrongPassword { get; } = Canary.NewToken();
        public string RefusedStart { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await StartOrchestratorAsync();
            DeclaredBySender = await Management.QueueDeclarationAsync(VirtualHost, Queue);

            await StartObserverAsync();
            var worker = await Observer.Bus.GetSendEndpoint(EntityNames.QueueAddress(Queue));
            await worker.Send(new ReloadToken { RotationId = Guid.NewGuid(), AgentName = Poison, SubscriptionId = Guid.NewGuid(), KeyVersion = 1, FencingToken = 1 });
            // Each take is one delivery; a returned message is back on the queue a moment after its connection closes.
            await Eventually.Until(async () =>
            {
                if (await RawAmqpProducer.TakeAndDieAsync(this, Queue))
                    Deliveries++;
                return Deliveries == DeliveryLimit;
            }, $"{DeliveryLimit} deliveries, each to a consumer that dies holding the message", TimeSpan.FromSeconds(60));

            try
            {
                await StartRotationWorkerAsync("rotation-worker-wrong-password", new Dictionary<string, string?> { ["Trinity__RabbitMq__Password"] = WrongPassword });
            }
            catch (InvalidOperationException refused)
            {
                RefusedStart = refused.Message;
            }
            await StartRotationWorkerAsync();
            MovedAtTheLimit = await SingleErrorAsync();
            DeclaredAfterConsumer = await Management.QueueDeclarationAsync(VirtualHost, Queue);
            var operatorEnvironment = new Dictionary<string, string?>
            {
                ["TRINITY_STATE_DIR"] = Directory.CreateTempSubdirectory("trinity-cli-").FullName,
                ["TRINITY_RABBITMQ_VHOST"] = VirtualHost,
                ["TRINITY_RABBITMQ_USER"] = Credentials.RabbitMqUser,
                ["TRINITY_RABBITMQ_PASSWORD"] = Credentials.RabbitMqPassword,
            };
            BusErrors = await CommandRun.TrinityAsync(operatorEnvironment, null, "bus", "errors", Queue);
            Replay = await CommandRun.TrinityAsync(operatorEnvironment, null, "bus", "replay", Queue);
            await WaitUntilQuietAsync();
            QueuesAtTheEnd = await Management.QueuesAsync(VirtualHost);
        }

        async Task<PeekedMessage> SingleErrorAsync()
        {
            IReadOnlyList<PeekedMessage> errors = [];
            await Eventually.Until(async () => (errors = await Management.PeekAsync(VirtualHost, ErrorQueue)).Count == 1, "one message in _error", TimeSpan.FromSeconds(60));
            return errors[0];
        }
    }

    [Fact]
    public void The_sender_declares_the_queue_as_its_consumer_does_before_the_consumer_ever_ran()
    {
        Assert.Equal("quorum", scenario.DeclaredBySender!.Type);
        Assert.Equal(scenario.DeclaredBySender.Arguments, scenario.DeclaredAfterConsumer!.Arguments);
    }

    [Fact]
    public void A_message_past_the_delivery_limit_is_moved_to_error_with_the_reason_and_not_handed_out_again()
    {
        Assert.Equal(DeliveryLimit, scenario.Deliveries);
        Assert.Contains(scenario.Poison, scenario.MovedAtTheLimit.Payload, StringComparison.Ordinal);
        Assert.Contains($"Delivery {DeliveryLimit + 1} of this message is past the delivery limit of {DeliveryLimit}",
            scenario.MovedAtTheLimit.Headers["MT-Fault-Message"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_service_the_broker_refuses_says_why_without_the_password()
    {
        Assert.Contains("refused user", scenario.RefusedStart, StringComparison.Ordinal);
        Assert.DoesNotContain(scenario.WrongPassword, scenario.RefusedStart, StringComparison.Ordinal);
    }

    [Fact]
    public void Bus_errors_names_the_delivery_limit_as_the_reason()
    {
        Assert.Equal(0, scenario.BusErrors.ExitCode);
        Assert.Contains("past the delivery limit", scenario.BusErrors.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(scenario.Poison, scenario.BusErrors.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_replayed_message_is_counted_afresh_and_handled()
    {
        Assert.Equal(0, scenario.Replay.ExitCode);
        Assert.All(scenario.QueuesAtTheEnd, q => Assert.True(q.IsEmpty, $"{q.Name} is not empty"));
        Assert.Contains(scenario.Observer.Received<TokenRotationFailed>(), f => f.AgentName == scenario.Poison);
    }
}
