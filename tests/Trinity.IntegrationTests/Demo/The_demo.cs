using System.Diagnostics;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Demo;

/// <summary>`make demo`'s script, start to end, on this machine's real services (built already: the suite's own build).</summary>
[Collection(DockerCollection.Name)]
public sealed class The_demo
{
    [Fact]
    public async Task Runs_start_to_end_in_under_three_minutes_and_kills_no_turn()
    {
        var start = new ProcessStartInfo("bash") { ArgumentList = { Path.Combine(RepositoryPaths.Root, "scripts", "demo.sh") }, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["TRINITY_DEMO_SKIP_BUILD"] = "1";
        start.Environment["CONFIGURATION"] = RepositoryPaths.Configuration;
        var clock = Stopwatch.StartNew();
        using var demo = Process.Start(start)!;
        var output = demo.StandardOutput.ReadToEndAsync();
        var errors = demo.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await demo.WaitForExitAsync(timeout.Token);
        var summary = await output;

        Assert.True(demo.ExitCode == 0, $"the demo failed:\n{summary}\n{await errors}");
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3));
        Assert.Contains("turns killed       0", summary, StringComparison.Ordinal);
        Assert.Contains("Demo passed", summary, StringComparison.Ordinal);
        Assert.Equal(3, summary.Split('\n').Count(line => line.Contains("switched by HotReload", StringComparison.Ordinal)));
    }
}
