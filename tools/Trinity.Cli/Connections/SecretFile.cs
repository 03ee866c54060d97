using Trinity.Cli.CommandLine;

namespace Trinity.Cli.Connections;

/// <summary>A secret read from a file only its owner can read, or from standard input — never from an argument.</summary>
public static class SecretFile
{
    const UnixFileMode OthersAndGroup = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public static string Read(string path, string what)
    {
        if (!File.Exists(path))
            throw new CliException($"The file for {what} ({path}) does not exist.");
        if ((File.GetUnixFileMode(path) & OthersAndGroup) != 0)
            throw new CliException($"The file for {what} ({path}) is readable by others: chmod 600 it first.");
        return NotEmpty(File.ReadAllText(path), what);
    }

    /// <summary>The first line of standard input; typed at a terminal, it is not echoed.</summary>
    public static string ReadStandardInput(string what)
    {
        if (Console.IsInputRedirected)
            return NotEmpty(Console.In.ReadLine() ?? "", what);
        Console.Error.Write($"{what} (not shown): ");
        var typed = new System.Text.StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace && typed.Length > 0)
                typed.Length--;
            else if (!char.IsControl(key.KeyChar))
                typed.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return NotEmpty(typed.ToString(), what);
    }

    static string NotEmpty(string text, string what) =>
        text.Trim() is { Length: > 0 } value ? value : throw new CliException($"{char.ToUpperInvariant(what[0])}{what[1..]} is empty.");
}
