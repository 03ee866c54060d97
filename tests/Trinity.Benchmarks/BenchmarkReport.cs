using System.Diagnostics;
using System.Text.RegularExpressions;
using Trinity.Testing;

namespace Trinity.Benchmarks;

/// <summary>
/// <c>docs/benchmarks.md</c>: a header with the machine, versions and date of the last run, and one section per
/// scenario, each replaced only when that scenario runs (so <c>./trinity bench burst</c> leaves the others).
/// </summary>
public static class BenchmarkReport
{
    static string FilePath => Path.Combine(RepositoryPaths.Root, "docs", "benchmarks.md");

    public static void Write(string scenario, string markdown)
    {
        var text = File.Exists(FilePath) ? File.ReadAllText(FilePath) : "";
        text = Replace(text, "machine", Machine());
        text = Replace(text, scenario, markdown.TrimEnd());
        File.WriteAllText(FilePath, text);
        Console.WriteLine(markdown);
    }

    static string Replace(string text, string section, string body)
    {
        var block = $"<!-- bench:{section} -->\n{body}\n<!-- /bench:{section} -->";
        var existing = new Regex($@"<!-- bench:{Regex.Escape(section)} -->.*?<!-- /bench:{Regex.Escape(section)} -->", RegexOptions.Singleline);
        return existing.IsMatch(text) ? existing.Replace(text, block.Replace("$", "$$", StringComparison.Ordinal), 1) : text.TrimEnd() + "\n\n" + block + "\n";
    }

    static string Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memory = File.ReadLines("/proc/meminfo").First().Split(':', 2)[1].Trim();
        return $"""
            Last run: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores ({cpu}), {memory} of memory, {Describe("uname", "-sr")}.
            Versions: .NET {Environment.Version}, RabbitMQ {Describe("dpkg-query", "-W -f=${Version} rabbitmq-server")}, PostgreSQL {Describe("dpkg-query", "-W -f=${Version} postgresql")}, Redis {Describe("dpkg-query", "-W -f=${Version} redis-server")}, Docker {Describe("dpkg-query", "-W -f=${Version} docker.io")}, MassTransit 8.5.12.
            """;
    }

    static string Describe(string command, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return output.Length > 0 ? output : "?";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }
}
