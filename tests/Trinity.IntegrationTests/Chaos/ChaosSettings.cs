using System.Globalization;

namespace Trinity.IntegrationTests.Chaos;

/// <summary>
/// How long a chaos run lasts and the seed of its schedule: the faults, their kinds and targets, the operator's
/// reassignments and rollovers and which agents get turns. The seed fixes the schedule, not the interleavings of a
/// real system. <c>make chaos</c> sets both and asks for the docs; <c>make test</c> runs the fixed-seed default.
/// </summary>
public sealed record ChaosSettings(TimeSpan Duration, int Seed, bool RewritesDocs)
{
    public const int TestSeed = 20261202;
    public static readonly TimeSpan TestDuration = TimeSpan.FromSeconds(90);

    /// <summary>A full run: the one whose figures go into <c>docs/reliability.md</c>.</summary>
    public static readonly TimeSpan FullDuration = TimeSpan.FromMinutes(5);

    public static ChaosSettings FromEnvironment()
    {
        var seconds = Environment.GetEnvironmentVariable("TRINITY_CHAOS_SECONDS");
        var seed = Environment.GetEnvironmentVariable("TRINITY_CHAOS_SEED");
        var duration = string.IsNullOrEmpty(seconds) ? TestDuration : TimeSpan.FromSeconds(Positive(seconds, "TRINITY_CHAOS_SECONDS"));
        return new ChaosSettings(duration, string.IsNullOrEmpty(seed) ? TestSeed : Positive(seed, "TRINITY_CHAOS_SEED"),
            Environment.GetEnvironmentVariable("TRINITY_CHAOS_DOCS") == "1" && duration >= FullDuration);
    }

    static int Positive(string value, string name) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{name} must be a positive whole number, not '{value}'.");
}
