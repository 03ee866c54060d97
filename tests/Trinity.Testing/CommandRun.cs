using System.Diagnostics;

namespace Trinity.Testing;

public sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
}

/// <summary>A command as a user runs it from the repository root: its arguments, environment and standard input; nothing secret on its command line.</summary>
public static class CommandRun
{
    public static async Task<CommandResult> RunAsync(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment,
        string? standardInput = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
            await process.StandardInput.WriteLineAsync(standardInput);
        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{executable} {string.Join(' ', start.ArgumentList)} did not finish in time");
        }
        return new CommandResult(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// What <c>./trinity</c> needs to reach the API behind <paramref name="api"/> (a client of <c>StartApiAsync</c>), with
    /// an empty state folder: a system left running by <c>make up</c> must not be what the commands reach.
    /// </summary>
    public static Dictionary<string, string?> CliEnvironmentFor(HttpClient api) => new()
    {
        ["TRINITY_STATE_DIR"] = Directory.CreateTempSubdirectory("trinity-cli-").FullName,
        ["TRINITY_API_URL"] = api.BaseAddress!.ToString(),
        ["TRINITY_ADMIN_KEY"] = api.DefaultRequestHeaders.Authorization!.Parameter,
    };

    /// <summary><c>./trinity …</c>, built in the configuration the tests run in.</summary>
    public static Task<CommandResult> TrinityAsync(IReadOnlyDictionary<string, string?> environment, string? standardInput, params string[] arguments) =>
        RunAsync(Path.Combine(RepositoryPaths.Root, "trinity"), arguments,
            new Dictionary<string, string?>(environment) { ["CONFIGURATION"] = RepositoryPaths.Configuration }, standardInput);
}
