using System.Globalization;

namespace Trinity.Testing;

/// <summary>
/// What each fault test measured: the cell of the fault matrix, and its recovery time (the fault cleared → the system
/// quiet with the invariant checker green). One line per cell in <c>artifacts/reliability/recovery.tsv</c>, the
/// figures <c>docs/reliability.md</c> quotes.
/// </summary>
public static class RecoveryFigures
{
    static readonly Lock Gate = new();

    public static string FilePath => Path.Combine(RepositoryPaths.Root, "artifacts", "reliability", "recovery.tsv");

    public static void Record(string cell, TimeSpan recovery, string detail = "")
    {
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            File.AppendAllText(FilePath, string.Create(CultureInfo.InvariantCulture,
                $"{DateTimeOffset.UtcNow:O}\t{cell}\t{recovery.TotalSeconds:F1}\t{detail.Replace('\t', ' ').Replace('\n', ' ')}\n"));
        }
    }
}
