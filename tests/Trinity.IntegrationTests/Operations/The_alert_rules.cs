using Trinity.Testing;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// The Prometheus rules an operator loads (monitoring/prometheus): promtool accepts them, and its unit tests show each
/// alert firing on what it is for and staying quiet on what it is not; the Grafana dashboard beside them is whole.
/// </summary>
public sealed class The_alert_rules
{
    static Task<CommandResult> PromtoolAsync(params string[] arguments) =>
        CommandRun.RunAsync("promtool", arguments, new Dictionary<string, string?>(), timeout: TimeSpan.FromMinutes(2));

    [Fact]
    public async Task Are_valid_prometheus_rules_and_configuration()
    {
        var rules = await PromtoolAsync("check", "rules", MonitoringFiles.Rules);
        Assert.True(rules.ExitCode == 0, rules.ToString());
        var config = await PromtoolAsync("check", "config", Path.Combine(MonitoringFiles.PrometheusFolder, "prometheus.yml"));
        Assert.True(config.ExitCode == 0, config.ToString());
    }

    [Fact]
    public async Task Pass_their_promtool_unit_tests()
    {
        var result = await PromtoolAsync("test", "rules", MonitoringFiles.RuleTests);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SUCCESS", result.Output + result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_has_a_case_where_it_fires_and_one_where_it_does_not()
    {
        var alerts = MonitoringFiles.ReadRules().Where(r => r.Alert is not null).Select(r => r.Alert!).ToList();
        var cases = MonitoringFiles.ReadAlertCases();
        Assert.NotEmpty(alerts);
        Assert.All(alerts, alert =>
        {
            Assert.Contains(cases, c => c.Alertname == alert && c.ExpAlerts.Count > 0);
            Assert.Contains(cases, c => c.Alertname == alert && c.ExpAlerts.Count == 0);
        });
        Assert.All(cases, c => Assert.Contains(c.Alertname, alerts));
    }

    [Fact]
    public void Cover_what_an_operator_is_paged_for()
    {
        var watched = MonitoringFiles.ReadRules().Where(r => r.Alert is not null).Select(r => r.Expr).ToList();
        foreach (var metric in new[]
                 {
                     "trinity_agents_out_of_sync", "trinity_rotations_total", "trinity_subscriptions{state=\"disabled\"}",
                     "trinity_subscriptions{state=\"available\"}", "trinity_agents_stranded", "_error",
                     "trinity_outbox_pending_messages", "trinity_service_ready", "trinity:hot_reload_seconds:p95_5m",
                 })
            Assert.Contains(watched, expr => expr.Contains(metric, StringComparison.Ordinal));
    }

    [Fact]
    public void The_dashboard_queries_something_in_every_panel()
    {
        var panels = MonitoringFiles.ReadDashboardPanels();
        Assert.NotEmpty(panels);
        Assert.All(panels, panel => Assert.NotEmpty(panel.Queries));
    }
}
