using Trinity.Cli.CommandLine;

namespace Trinity.Cli.Connections;

/// <summary>
/// Where the CLI finds the system: the environment first, then <c>~/.trinity/up.env</c> (written by
/// <c>make up</c>: the API's address, its admin key, the virtual host) and <c>~/.trinity/local.env</c> (the
/// broker's credentials, written by <c>make services</c>). Both files are owner-only. Secrets never come from
/// an argument.
/// </summary>
public sealed class CliSettings
{
    static readonly string[] Files = ["up.env", "local.env"];
    readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

    public CliSettings()
    {
        var state = Environment.GetEnvironmentVariable("TRINITY_STATE_DIR")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".trinity");
        foreach (var file in Files.Select(name => Path.Combine(state, name)).Where(File.Exists))
        {
            foreach (var parts in File.ReadAllLines(file).Select(line => line.Split('=', 2)).Where(parts => parts.Length == 2))
                _files.TryAdd(parts[0].Trim(), parts[1].Trim());
        }
    }

    public string? Value(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : _files.TryGetValue(name, out var fromFile) && fromFile.Length > 0 ? fromFile
        : null;

    string Required(string name, string hint) => Value(name) ?? throw new CliException($"{name} is not set: {hint}");

    public Uri ApiUrl => new(Required("TRINITY_API_URL", "run `make up`, or export the API's address (http://127.0.0.1:8080)."));

    /// <summary>From <c>TRINITY_ADMIN_KEY</c>, or the owner-only file named by <c>TRINITY_ADMIN_KEY_FILE</c>.</summary>
    public string AdminKey => Value("TRINITY_ADMIN_KEY")
        ?? (Value("TRINITY_ADMIN_KEY_FILE") is { } file ? SecretFile.Read(file, "the admin key")
            : throw new CliException("No admin key: run `make up`, or set TRINITY_ADMIN_KEY_FILE to an owner-only file that holds it."));

    public string VirtualHost => Value("TRINITY_RABBITMQ_VHOST") ?? "/";
    public string RabbitMqHost => Value("TRINITY_RABBITMQ_HOST") ?? "127.0.0.1";
    public int RabbitMqPort => int.TryParse(Value("TRINITY_RABBITMQ_PORT"), out var port) ? port : 5672;
    public Uri ManagementUrl => new(Value("TRINITY_RABBITMQ_MANAGEMENT_URL") ?? "http://127.0.0.1:15672/");
    public string RabbitMqUser => Required("TRINITY_RABBITMQ_USER", "run `make services`, which writes ~/.trinity/local.env.");
    public string RabbitMqPassword => Required("TRINITY_RABBITMQ_PASSWORD", "run `make services`, which writes ~/.trinity/local.env.");
}
