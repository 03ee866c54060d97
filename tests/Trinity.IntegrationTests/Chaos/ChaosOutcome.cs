using System.Globalization;
using System.Text;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Chaos;

/// <summary>The work a run did, per kind, over its whole duration (the set-up and the wait for quiet not counted).</summary>
public sealed record ChaosWork(int HotReloads, int Recreates, int Rollovers, int Turns)
{
    /// <summary>The least work per minute a run must hold: below it, faults went unexercised and the run fails.</summary>
    public static readonly ChaosWork MinimumPerMinute = new(HotReloads: 10, Recreates: 1, Rollovers: 2, Turns: 40);

    /// <summary>Each kind of work that fell below the minimum over <paramref name="duration"/>, said as an operator would read it.</summary>
    public IEnumerable<string> ShortfallsOver(TimeSpan duration)
    {
        var minutes = duration.TotalMinutes;
        foreach (var (what, done, least) in new[]
                 {
                     ("hot-reloads", HotReloads, MinimumPerMinute.HotReloads), ("recreates", Recreates, MinimumPerMinute.Recreates),
                     ("rollover switches", Rollovers, MinimumPerMinute.Rollovers), ("turns", Turns, MinimumPerMinute.Turns),
                 })
            if (done < Math.Floor(least * minutes))
                yield return string.Create(CultureInfo.InvariantCulture, $"{done} {what} in {minutes:F1} min, below the minimum of {least} a minute");
    }
}

/// <summary>What a chaos run did and found: the one summary line, and the section of <c>docs/reliability.md</c> a full run rewrites.</summary>
public sealed record ChaosOutcome(ChaosSettings Settings, IReadOnlyList<InjectedFault> Faults, int Reports, int Rotations, ChaosWork Work,
    int Reassignments, int Refused, int Redeliveries, IReadOnlyList<Violation> Violations)
{
    public const string Begin = "<!-- chaos:begin (make chaos rewrites this section) -->";
    public const string End = "<!-- chaos:end -->";

    public string SummaryLine => $"chaos: {Faults.Count} faults, {Reports} reports, {Rotations} rotations, {Work.Turns} turns, {Violations.Count} violations";

    public static string SummaryPath => Path.Combine(RepositoryPaths.Root, "artifacts", "chaos", "summary.txt");

    /// <summary>The summary line, the seed and every violation, in <c>artifacts/chaos/summary.txt</c> (what <c>make chaos</c> prints).</summary>
    public void Write()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SummaryPath)!);
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"seed {Settings.Seed}, {Settings.Duration.TotalSeconds:F0} s (TRINITY_CHAOS_SEED={Settings.Seed} reruns this schedule)")
            .AppendLine(CultureInfo.InvariantCulture, $"work: {Work.HotReloads} hot-reloads, {Work.Recreates} recreates, {Work.Rollovers} rollover switches, {Work.Turns} turns, {Reassignments} reassignments; {Refused} requests refused while a fault was on; {Redeliveries} switch events redelivered")
            .AppendJoin("", Faults.Select(f => string.Create(CultureInfo.InvariantCulture,
                $"fault {f.Kind} on {f.Target}: {(f.Hit ? "hit" : "MISSED")} ({f.Evidence}), {(f.Recovery is { } r ? $"recovered in {r.TotalSeconds:F1} s" : "NOT recovered")}\n")))
            .AppendJoin("", Violations.Select(v => $"violation: {v}\n"))
            .AppendLine(SummaryLine);
        File.WriteAllText(SummaryPath, text.ToString());
    }

    /// <summary>Rewrites the chaos section of <c>docs/reliability.md</c>: this run's faults and recoveries, above the table of recent full runs.</summary>
    public void RewriteDocs(DateTimeOffset finishedAt)
    {
        var path = Path.Combine(RepositoryPaths.Root, "docs", "reliability.md");
        var document = File.ReadAllText(path);
        var begin = document.IndexOf(Begin, StringComparison.Ordinal);
        var end = document.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
            throw new InvalidOperationException($"docs/reliability.md has no chaos section ({Begin} … {End}) to rewrite.");
        var earlier = document[begin..end].Split('\n').Where(l => l.StartsWith("| 20", StringComparison.Ordinal)).TakeLast(5);
        var section = new StringBuilder().AppendLine(Begin)
            .AppendLine(CultureInfo.InvariantCulture, $"The last full run: seed {Settings.Seed}, {Settings.Duration.TotalMinutes:F0} minutes, finished {finishedAt:yyyy-MM-dd HH:mm} UTC. `{SummaryLine}`.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Work: {Work.HotReloads} hot-reloads, {Work.Recreates} recreates, {Work.Rollovers} rollover switches, {Work.Turns} turns, {Reassignments} reassignments; {Refused} requests refused while a fault was on; {Redeliveries} switch events redelivered (same MessageId, counted, not a violation).")
            .AppendLine()
            .AppendLine("| fault | injected | recovery p50 (s) | recovery max (s) |")
            .AppendLine("|---|---|---|---|");
        foreach (var kind in Faults.GroupBy(f => f.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var recoveries = kind.Select(f => f.Recovery?.TotalSeconds ?? double.NaN).Order().ToList();
            section.AppendLine(CultureInfo.InvariantCulture, $"| {kind.Key} | {kind.Count()} | {recoveries[(recoveries.Count - 1) / 2]:F1} | {recoveries[^1]:F1} |");
        }
        section.AppendLine()
            .AppendLine("| finished (UTC) | seed | minutes | faults | reports | rotations | turns | violations | recovery max (s) |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|")
            .AppendJoin("", earlier.Select(l => l + "\n"))
            .AppendLine(CultureInfo.InvariantCulture,
                $"| {finishedAt:yyyy-MM-dd HH:mm} | {Settings.Seed} | {Settings.Duration.TotalMinutes:F0} | {Faults.Count} | {Reports} | {Rotations} | {Work.Turns} | {Violations.Count} | {Faults.Max(f => f.Recovery?.TotalSeconds ?? double.NaN):F1} |");
        File.WriteAllText(path, document[..begin] + section + document[end..]);
    }
}
