using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trinity.Cli.CommandLine;

/// <summary>Tables for people, JSON for scripts (<c>--json</c>).</summary>
public static class Output
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static void Json(object? value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var cells = rows.Select(row => row.Select(cell => cell ?? "-").ToArray()).ToList();
        var widths = headers.Select((header, column) => cells.Select(row => row[column].Length).Prepend(header.Length).Max()).ToArray();
        string Line(IEnumerable<string> values) => string.Join("  ", values.Select((value, column) => value.PadRight(widths[column]))).TrimEnd();
        Console.Out.WriteLine(Line(headers.Select(h => h.ToUpperInvariant())));
        foreach (var row in cells)
            Console.Out.WriteLine(Line(row));
        if (cells.Count == 0)
            Console.Out.WriteLine("(none)");
    }
}
