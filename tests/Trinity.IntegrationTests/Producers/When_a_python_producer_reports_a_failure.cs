using Trinity.IntegrationTests.WalkingSkeleton;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Producers;

/// <summary>
/// <c>examples/python/report_failure.py</c>, the example in docs/producers.md, run as a Python chat executor
/// would run it (Debian's python3-pika; the broker's password in the environment), against the real services.
/// </summary>
public sealed class When_a_python_producer_reports_a_failure(When_a_python_producer_reports_a_failure.Scenario scenario)
    : IClassFixture<When_a_python_producer_reports_a_failure.Scenario>
{
    public sealed class Scenario : TwoSubscriptionsOneAgent
    {
        public CommandResult Run { get; private set; } = null!;
        public CommandResult Unroutable { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();
            Run = await PythonAsync(VirtualHost, "--agent", Agent, "--kind", "rate-limited", "--source", "chat", "--subscription-id", A.Id.ToString(),
                "--status", "429", "--retry-after", "120", "--execution", "py-turn-7");
            await WaitUntilAgentRunsAsync(TokenB);
            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count > 0, "the switch to be published");
            await WaitUntilQuietAsync();

            // The same producer against a virtual host where nothing is bound: it must fail loudly, not drop the report.
            var empty = VirtualHost + "-empty";
            await Management.CreateVirtualHostAsync(empty);
            try
            {
                await Management.DeclareFanoutExchangeAsync(empty, Messaging.Contracts.EntityNames.FailureIntake);
                Unroutable = await PythonAsync(empty, "--agent", Agent, "--kind", "rate-limited", "--source", "chat", "--subscription-id", A.Id.ToString());
            }
            finally
            {
                await Management.DeleteVirtualHostAsync(empty);
            }
        }

        Task<CommandResult> PythonAsync(string vhost, params string[] arguments) =>
            CommandRun.RunAsync("/usr/bin/python3", arguments.Prepend(Path.Combine(RepositoryPaths.Root, "examples", "python", "report_failure.py")),
                new Dictionary<string, string?>
                {
                    ["TRINITY_RABBITMQ_VHOST"] = vhost,
                    ["TRINITY_RABBITMQ_USER"] = Credentials.RabbitMqUser,
                    ["TRINITY_RABBITMQ_PASSWORD"] = Credentials.RabbitMqPassword,
                });
    }

    [Fact]
    public async Task The_report_produces_exactly_one_switch_by_hot_reload()
    {
        Assert.Equal(0, scenario.Run.ExitCode);
        var switched = Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>());
        Assert.Equal((scenario.A.Id, scenario.B.Id, SwitchMethod.HotReload), (switched.From, switched.To, switched.Method));
        var failure = Assert.Single(await scenario.FailuresAsync());
        Assert.Equal(("py-turn-7", 429, 120, FailureSource.Chat), (failure.ExecutionId, failure.StatusCode, failure.RetryAfterSeconds, failure.Source));
    }

    [Fact]
    public void A_publish_no_queue_takes_is_an_error_with_a_reason()
    {
        Assert.NotEqual(0, scenario.Unroutable.ExitCode);
        Assert.Contains("has no queue bound", scenario.Unroutable.Error, StringComparison.Ordinal);
    }
}
