using System.Diagnostics;
using System.Globalization;

namespace Trinity.Benchmarks;

/// <summary>One clock for every figure (<see cref="Stopwatch"/>), and the statistics the report gives.</summary>
public static class Measure
{
    public static long Now() => Stopwatch.GetTimestamp();

    public static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>Nearest-rank percentile of <paramref name="values"/> (0–100).</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double percentile)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Ms(double milliseconds) => milliseconds switch
    {
        double.NaN => "-",
        < 10 => milliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms",
        < 10_000 => milliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => (milliseconds / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s",
    };

    public static string Number(double value, string format = "0") => value.ToString(format, CultureInfo.InvariantCulture);
}
