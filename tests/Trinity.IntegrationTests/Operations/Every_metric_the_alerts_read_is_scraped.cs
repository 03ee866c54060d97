using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Trinity.IntegrationTests.WalkingSkeleton;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// The alert rules and the dashboard against what the services really expose: every service and RabbitMQ scraped
/// after a rotation, each metric family they query is there, and the fleet gauges read what the database holds —
/// one subscription cooling down and one available after the switch, and the agent left on the cooling one not
/// stranded; none available and both agents stranded once the alternative is rate-limited too.
/// </summary>
public sealed class Every_metric_the_alerts_read_is_scraped(Every_metric_the_alerts_read_is_scraped.Scenario scenario)
    : IClassFixture<Every_metric_the_alerts_read_is_scraped.Scenario>
{
    /// <summary>RabbitMQ's Prometheus plugin on the shared node, as scripts/local-services.sh enables it.</summary>
    const string RabbitMqMetrics = "http://127.0.0.1:15692/metrics/detailed";

    const string SecondAgent = "beta";

    public sealed class Scenario : TwoSubscriptionsOneAgent
    {
        public Dictionary<string, string> Urls { get; } = [];
        public Dictionary<string, string> AfterTheSwitch { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            // A second agent on A that meets no rate limit of its own: it stays on A while B is available, which is not stranded.
            await StartAgentServerAsync(SecondAgent, TokenA, A.Id);
            Urls["orchestrator"] = await StartWithUrlAsync(extra => StartOrchestratorAsync(extra: extra), new() { ["Trinity__Orchestrator__GaugeInterval"] = "00:00:01" });
            Urls["rotation-worker"] = await StartWithUrlAsync(extra => StartRotationWorkerAsync(extra: extra), []);
            Urls["container-manager"] = await StartWithUrlAsync(extra => StartContainerManagerAsync(extra: extra), []);
            var (_, api) = await StartApiAsync();
            Urls["api"] = api.BaseAddress!.ToString().TrimEnd('/');

            await ReportRateLimitOnAAsync();
            await WaitUntilAgentRunsAsync(TokenB);
            // A report that is no subscription's failure: the API refuses it (422), which the intake-rejects counter counts.
            using var refused = await api.PostAsJsonAsync("/api/failures", new { agentName = Agent, source = "chat", statusCode = 500, errorMessage = "disk full", subscriptionId = A.Id });
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            await WaitUntilQuietAsync();
            // The fleet gauges are read every second: wait for a read after the switch (A cooling down), then take the rest.
            AfterTheSwitch["orchestrator"] = await Eventually.Until(() => ScrapeAsync(Urls["orchestrator"] + "/metrics"),
                metrics => Value(metrics, "trinity_subscriptions{state=\"cooling-down\"}") == 1, "the fleet gauges to see A cooling down");
            foreach (var (service, url) in Urls.Where(u => u.Key != "orchestrator"))
                AfterTheSwitch[service] = await ScrapeAsync(url + "/metrics");
            AfterTheSwitch["rabbitmq"] = await ScrapeAsync($"{RabbitMqMetrics}?vhost={Uri.EscapeDataString(VirtualHost)}&family=queue_coarse_metrics");
        }

        static async Task<string> StartWithUrlAsync(Func<Dictionary<string, string?>, Task> start, Dictionary<string, string?> extra)
        {
            var url = $"http://127.0.0.1:{FreePort.Next()}";
            extra["ASPNETCORE_URLS"] = url;
            await start(extra);
            return url;
        }
    }

    static async Task<string> ScrapeAsync(string url)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(url);
    }

    static IEnumerable<string> Families(string exposition) =>
        exposition.Split('\n').Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(line => line.Split(' ')[2]);

    /// <summary>The value of one series, written exactly as the exposition writes it (name and labels).</summary>
    static double? Value(string exposition, string series) =>
        exposition.Split('\n').Where(line => line.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(line => (double?)double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture)).SingleOrDefault();

    [Fact]
    public void Every_metric_family_the_rules_and_the_dashboard_query_is_exposed()
    {
        var exposed = scenario.AfterTheSwitch.Values.SelectMany(Families).ToHashSet(StringComparer.Ordinal);
        var queried = MonitoringFiles.MetricFamiliesQueried();
        Assert.Contains("trinity_subscriptions", queried);
        Assert.Contains("rabbitmq_detailed_queue_messages", queried);
        var missing = queried.Where(name => !exposed.Contains(name)).ToList();
        Assert.True(missing.Count == 0, "queried and not exposed: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_service_reports_itself_ready()
    {
        Assert.All(scenario.Urls.Keys, service => Assert.Equal(1, Value(scenario.AfterTheSwitch[service], "trinity_service_ready")));
    }

    [Fact]
    public void After_the_switch_one_subscription_cools_down_one_is_available_and_the_agent_left_on_it_is_not_stranded()
    {
        var orchestrator = scenario.AfterTheSwitch["orchestrator"];
        Assert.Equal(1, Value(orchestrator, "trinity_subscriptions{state=\"available\"}"));
        Assert.Equal(1, Value(orchestrator, "trinity_subscriptions{state=\"cooling-down\"}"));
        Assert.Equal(0, Value(orchestrator, "trinity_subscriptions{state=\"disabled\"}"));
        Assert.Equal(0, Value(orchestrator, "trinity_agents_stranded"));
        Assert.Equal(1, Value(orchestrator, "trinity_rotations_total{trigger=\"auto-switch\",method=\"hot-reload\",outcome=\"succeeded\"}"));
    }

    [Fact]
    public async Task When_the_alternative_is_rate_limited_too_nothing_is_available_and_both_agents_are_stranded()
    {
        await scenario.Observer.Publish(TrinityTestStores.Failure(TwoSubscriptionsOneAgent.Agent, scenario.B.Id) with { ErrorMessage = "429 rate_limit_error" });
        var orchestrator = await Eventually.Until(() => ScrapeAsync(scenario.Urls["orchestrator"] + "/metrics"),
            metrics => Value(metrics, "trinity_agents_stranded") == 2, "both agents to be counted stranded");
        Assert.Equal(0, Value(orchestrator, "trinity_subscriptions{state=\"available\"}"));
        Assert.Equal(2, Value(orchestrator, "trinity_subscriptions{state=\"cooling-down\"}"));
    }
}
