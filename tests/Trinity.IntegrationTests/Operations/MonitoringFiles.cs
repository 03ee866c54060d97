using System.Text.Json;
using System.Text.RegularExpressions;
using Trinity.Testing;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Trinity.IntegrationTests.Operations;

/// <summary>The alert rules, their promtool cases and the Grafana dashboard under <c>monitoring/</c>, as an operator's Prometheus and Grafana read them.</summary>
public static partial class MonitoringFiles
{
    public static string PrometheusFolder { get; } = Path.Combine(RepositoryPaths.Root, "monitoring", "prometheus");
    public static string Rules { get; } = Path.Combine(PrometheusFolder, "trinity-rules.yml");
    public static string RuleTests { get; } = Path.Combine(PrometheusFolder, "trinity-rules.test.yml");
    public static string Dashboard { get; } = Path.Combine(RepositoryPaths.Root, "monitoring", "grafana", "trinity-fleet.json");

    public sealed class RuleFile
    {
        public List<RuleGroup> Groups { get; set; } = [];
    }

    public sealed class RuleGroup
    {
        public string Name { get; set; } = "";
        public List<Rule> Rules { get; set; } = [];
    }

    public sealed class Rule
    {
        public string? Alert { get; set; }
        public string? Record { get; set; }
        public string Expr { get; set; } = "";
    }

    public sealed class RuleTestFile
    {
        public List<RuleTest> Tests { get; set; } = [];
    }

    public sealed class RuleTest
    {
        public string Name { get; set; } = "";
        public List<AlertCase> AlertRuleTest { get; set; } = [];
    }

    public sealed class AlertCase
    {
        public string Alertname { get; set; } = "";
        public List<object> ExpAlerts { get; set; } = [];
    }

    static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    public static List<Rule> ReadRules() => Yaml.Deserialize<RuleFile>(File.ReadAllText(Rules)).Groups.SelectMany(g => g.Rules).ToList();

    public static List<AlertCase> ReadAlertCases() => Yaml.Deserialize<RuleTestFile>(File.ReadAllText(RuleTests)).Tests.SelectMany(t => t.AlertRuleTest).ToList();

    /// <summary>Every panel's queries, by panel title.</summary>
    public static List<(string Panel, List<string> Queries)> ReadDashboardPanels()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Dashboard));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Select(panel => (panel.GetProperty("title").GetString()!,
                panel.TryGetProperty("targets", out var targets)
                    ? targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!).ToList()
                    : []))
            .ToList();
    }

    /// <summary>
    /// The scraped metric families the rules and the dashboard query: a histogram's <c>_bucket</c>, <c>_sum</c> and
    /// <c>_count</c> are its family; recording rules (<c>trinity:…</c>) and Prometheus' own <c>up</c> are not scraped.
    /// </summary>
    public static SortedSet<string> MetricFamiliesQueried() =>
        new(ReadRules().Select(r => r.Expr)
            .Concat(ReadDashboardPanels().SelectMany(p => p.Queries))
            .SelectMany(expr => ScrapedName().Matches(expr).Select(m => m.Value))
            .Select(name => HistogramSeries().Replace(name, "")), StringComparer.Ordinal);

    [GeneratedRegex(@"\b(trinity|rabbitmq)_[a-z0-9_]+\b")]
    private static partial Regex ScrapedName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSeries();
}
