namespace Trinity.Cli.CommandLine;

/// <summary>A command's words and <c>--options</c>. Every option must be known to the command that reads it.</summary>
public sealed class CliArguments
{
    readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CliArguments(IEnumerable<string> args)
    {
        var words = new List<string>();
        using var arg = args.GetEnumerator();
        while (arg.MoveNext())
        {
            var current = arg.Current;
            if (!current.StartsWith("--", StringComparison.Ordinal))
            {
                words.Add(current);
                continue;
            }
            var (name, value) = current.IndexOf('=', StringComparison.Ordinal) is var equals and > 0
                ? (current[2..equals], current[(equals + 1)..])
                : (current[2..], (string?)null);
            if (value is null && !Flags.Contains(name))
                value = arg.MoveNext() ? arg.Current : throw new CliException($"--{name} needs a value.");
            _options[name] = value;
        }
        Words = words;
        Json = Flag("json");
    }

    /// <summary>Options that take no value.</summary>
    static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "json", "api-key", "help", "stdin", "unmanaged", "dry-run" };

    public IReadOnlyList<string> Words { get; }
    public bool Json { get; }

    public string Word(int index, string what) =>
        index < Words.Count ? Words[index] : throw new CliException($"Missing {what}.");

    public string Required(string name) => Optional(name) ?? throw new CliException($"--{name} is required.");

    public string? Optional(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var value) ? value : null;
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        return _options.ContainsKey(name);
    }

    /// <summary>A misspelt option is an error, not something silently ignored.</summary>
    public void RejectUnknown(int expectedWords)
    {
        if (_options.Keys.FirstOrDefault(name => !_read.Contains(name)) is { } unknown)
            throw new CliException($"Unknown option --{unknown}.");
        if (Words.Count > expectedWords)
            throw new CliException($"Unexpected argument '{Words[expectedWords]}'.");
    }
}

/// <summary>A failure the user can act on: printed as one line, and the exit code is not zero.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
