using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Trinity.IntegrationTests.WalkingSkeleton;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// An operator at a shell, with <c>./trinity</c> against real services: a scheduler's failure report moves the
/// agent; a report that arrived before its subscription was registered lands in <c>_error</c>, is inspected
/// there without its body, and comes back with <c>bus replay</c> once the subscription exists. The new
/// subscription's token goes in on standard input and is a fresh canary.
/// </summary>
public sealed class When_an_operator_uses_the_trinity_cli(When_an_operator_uses_the_trinity_cli.Scenario scenario)
    : IClassFixture<When_an_operator_uses_the_trinity_cli.Scenario>
{
    const string Intake = EntityNames.Queues.FailureIntake;

    public sealed class Scenario : TwoSubscriptionsOneAgent
    {
        public string TokenC { get; } = Canary.NewToken();
        public string EarlyExecutionId { get; } = $"execution-canary-{Guid.NewGuid():N}";
        public List<CommandResult> Runs { get; } = [];
        public CommandResult Report { get; private set; } = null!;
        public CommandResult QueuesTable { get; private set; } = null!;
        public JsonElement QueuesWithOneError { get; private set; }
        public CommandResult Errors { get; private set; } = null!;
        public CommandResult AddC { get; private set; } = null!;
        public CommandResult Replay { get; private set; } = null!;
        public JsonElement ShowAfterSwitch { get; private set; }
        public CommandResult AgentsTable { get; private set; } = null!;
        public CommandResult RotationsTable { get; private set; } = null!;
        public CommandResult UnknownAgent { get; private set; } = null!;
        public CommandResult WrongAdminKey { get; private set; } = null!;
        public CommandResult TokenAsArgument { get; private set; } = null!;
        public string Metrics { get; private set; } = "";
        Dictionary<string, string?> _environment = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var metricsPort = FreePort.Next();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{metricsPort}" });
            await StartRotationWorkerAsync();
            var (_, api) = await StartApiAsync();
            _environment = CommandRun.CliEnvironmentFor(api);
            _environment["TRINITY_RABBITMQ_VHOST"] = VirtualHost;
            _environment["TRINITY_RABBITMQ_USER"] = Credentials.RabbitMqUser;
            _environment["TRINITY_RABBITMQ_PASSWORD"] = Credentials.RabbitMqPassword;

            Report = await TrinityAsync(null, "failures", "report", "--agent", Agent, "--kind", "rate-limited", "--source", "schedule", "--subscription", "subscription-a", "--execution", "nightly-42");
            await WaitUntilAgentRunsAsync(TokenB);

            await TrinityAsync(null, "failures", "report", "--agent", Agent, "--kind", "authentication-failed", "--source", "chat",
                "--fingerprint", TokenFingerprint.Of(TokenC), "--execution", EarlyExecutionId);
            QueuesWithOneError = await Eventually.Until(async () => JsonDocument.Parse((await TrinityAsync(null, "bus", "queues", "--json")).Output).RootElement,
                json => ErrorCount(json, Intake) == 1, "the early report to reach _error", TimeSpan.FromSeconds(30));
            QueuesTable = await TrinityAsync(null, "bus", "queues");
            Errors = await TrinityAsync(null, "bus", "errors", Intake);

            AddC = await TrinityAsync(TokenC, "subscriptions", "add", "--name", "subscription-c");
            Replay = await TrinityAsync(null, "bus", "replay", Intake + "_error");
            await Eventually.Until(async () =>
            {
                await using var db = NewDbContext();
                return await db.Failures.AnyAsync(f => f.ExecutionId == EarlyExecutionId);
            }, "the replayed report to be recorded");
            await WaitUntilQuietAsync();

            ShowAfterSwitch = JsonDocument.Parse((await TrinityAsync(null, "agents", "show", Agent, "--json")).Output).RootElement;
            AgentsTable = await TrinityAsync(null, "agents", "list");
            RotationsTable = await TrinityAsync(null, "rotations", "--agent", Agent);
            UnknownAgent = await TrinityAsync(null, "agents", "show", "nobody");
            var wrongKey = _environment["TRINITY_ADMIN_KEY"];
            _environment["TRINITY_ADMIN_KEY"] = "not-the-admin-key-at-all";
            WrongAdminKey = await TrinityAsync(null, "subscriptions", "list");
            _environment["TRINITY_ADMIN_KEY"] = wrongKey;
            TokenAsArgument = await TrinityAsync(null, "subscriptions", "add", "--name", "subscription-d", "--token", Canary.NewToken());
            using var http = new HttpClient();
            Metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        }

        public async Task<CommandResult> TrinityAsync(string? standardInput, params string[] arguments)
        {
            var run = await CommandRun.TrinityAsync(_environment, standardInput, arguments);
            Runs.Add(run);
            return run;
        }

        public static int ErrorCount(JsonElement queues, string queue) =>
            queues.GetProperty("queues").EnumerateArray().Where(q => q.GetProperty("queue").GetString() == queue).Select(q => q.GetProperty("errors").GetInt32()).SingleOrDefault(-1);
    }

    [Fact]
    public async Task A_scheduler_report_from_the_cli_moves_the_agent_by_hot_reload()
    {
        Assert.Equal(0, scenario.Report.ExitCode);
        Assert.Contains("rate-limited", scenario.Report.Output, StringComparison.Ordinal);
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), scenario.ShowAfterSwitch.GetProperty("liveFingerprint").GetString());
        Assert.Equal(scenario.B.Id, scenario.ShowAfterSwitch.GetProperty("subscriptionId").GetGuid());
        await using var db = scenario.NewDbContext();
        var failure = await db.Failures.SingleAsync(f => f.ExecutionId == "nightly-42");
        Assert.Equal((scenario.A.Id, Messaging.Contracts.Messages.FailureSource.Schedule), (failure.SubscriptionId, failure.Source));
    }

    [Fact]
    public void The_agent_and_rotation_tables_name_each_subscription_beside_its_id()
    {
        Assert.True(scenario.AgentsTable.ExitCode == 0, scenario.AgentsTable.ToString());
        var agentRow = Assert.Single(scenario.AgentsTable.Output.Split('\n'), line => line.StartsWith(Scenario.Agent + " ", StringComparison.Ordinal));
        Assert.Contains($"subscription-b ({scenario.B.Id.ToString()[..8]})", agentRow, StringComparison.Ordinal);
        Assert.Equal("subscription-b", scenario.ShowAfterSwitch.GetProperty("subscriptionName").GetString());
        var switchRow = Assert.Single(scenario.RotationsTable.Output.Split('\n'), line => line.Contains("AutoSwitch", StringComparison.Ordinal));
        Assert.Contains($"subscription-a ({scenario.A.Id.ToString()[..8]})", switchRow, StringComparison.Ordinal);
        Assert.Contains($"subscription-b ({scenario.B.Id.ToString()[..8]})", switchRow, StringComparison.Ordinal);
    }

    [Fact]
    public void Bus_queues_lists_every_queue_of_the_system_with_its_consumers_and_error_count()
    {
        var queues = scenario.QueuesWithOneError.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("queue").GetString()!);
        foreach (var name in new[] { Intake, EntityNames.Queues.AgentCredentials, EntityNames.Queues.SubscriptionChanges, EntityNames.Queues.RotationWorker })
            Assert.Equal(1, queues[name].GetProperty("consumers").GetInt32());
        Assert.Equal(1, queues[Intake].GetProperty("errors").GetInt32());
        Assert.DoesNotContain(queues.Keys, name => name.EndsWith("_error", StringComparison.Ordinal));
        Assert.Contains(Intake, scenario.QueuesTable.Output, StringComparison.Ordinal);
        Assert.Contains("CONSUMERS", scenario.QueuesTable.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Bus_errors_shows_the_type_reason_and_time_of_a_dead_letter_and_never_its_body()
    {
        Assert.Equal(0, scenario.Errors.ExitCode);
        Assert.Contains("ReportSubscriptionFailure", scenario.Errors.Output, StringComparison.Ordinal);
        Assert.Contains($"No subscription key has the fingerprint {TokenFingerprint.Of(scenario.TokenC)}", scenario.Errors.Output, StringComparison.Ordinal);
        Assert.Matches(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", scenario.Errors.Output);
        Assert.DoesNotContain(scenario.EarlyExecutionId, scenario.Errors.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bus_replay_brings_the_report_back_and_it_is_processed_once_its_subscription_exists()
    {
        Assert.Equal(0, scenario.AddC.ExitCode);
        Assert.Contains("Replayed 1 message", scenario.Replay.Output, StringComparison.Ordinal);
        await using var db = scenario.NewDbContext();
        var c = await db.Subscriptions.SingleAsync(s => s.Name == "subscription-c");
        var replayed = await db.Failures.SingleAsync(f => f.ExecutionId == scenario.EarlyExecutionId);
        Assert.Equal(c.Id, replayed.SubscriptionId);
        Assert.All(await scenario.QueuesAsync(), q => Assert.True(q.IsEmpty, $"{q.Name}: {q.Ready} ready"));
    }

    [Fact]
    public void Every_failure_exits_non_zero_with_a_one_line_reason()
    {
        foreach (var (run, reason) in new[]
                 {
                     (scenario.UnknownAgent, "No agent nobody"),
                     (scenario.WrongAdminKey, "admin key was refused"),
                     (scenario.TokenAsArgument, "Unknown option --token"),
                 })
        {
            Assert.NotEqual(0, run.ExitCode);
            var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(reason, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_token_read_from_standard_input_appears_in_no_output_log_or_command_line()
    {
        Assert.Contains(TokenFingerprint.Of(scenario.TokenC), scenario.AddC.Output, StringComparison.Ordinal);
        var texts = scenario.Runs.SelectMany(r => new[] { r.Output, r.Error }).Concat(scenario.ServiceOutputs()).Concat(LeakScan.ProcessCommandLines()).ToList();
        LeakScan.AssertAbsent([scenario.TokenA, scenario.TokenB, scenario.TokenC], texts, "CLI output, service logs and command lines", 5_000);
    }

    [Fact]
    public void The_orchestrator_exports_rotations_and_intake_refusals_as_metrics()
    {
        Assert.Contains("trinity_rotations_total{trigger=\"auto-switch\",method=\"hot-reload\",outcome=\"succeeded\"} 1", scenario.Metrics, StringComparison.Ordinal);
        Assert.Contains("trinity_rotation_duration_seconds_count{trigger=\"auto-switch\",method=\"hot-reload\"} 1", scenario.Metrics, StringComparison.Ordinal);
        Assert.Contains("trinity_intake_rejected_total{reason=\"refused\"} 1", scenario.Metrics, StringComparison.Ordinal);
        Assert.Contains("trinity_lease_waits_total", scenario.Metrics, StringComparison.Ordinal);
    }
}
