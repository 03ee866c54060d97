namespace Trinity.Testing;

/// <summary>
/// The credentials <c>scripts/local-services.sh</c> generated for this machine's RabbitMQ, PostgreSQL and
/// Redis (<c>~/.trinity/local.env</c>, owner-only). A test never invents or defaults a password.
/// </summary>
public sealed class LocalCredentials
{
    public required string RabbitMqUser { get; init; }
    public required string RabbitMqPassword { get; init; }
    public required string PostgresUser { get; init; }
    public required string PostgresPassword { get; init; }
    public required string RedisPassword { get; init; }

    public static string FilePath =>
        Environment.GetEnvironmentVariable("TRINITY_LOCAL_ENV")
        ?? Path.Combine(Environment.GetEnvironmentVariable("TRINITY_STATE_DIR") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".trinity"), "local.env");

    public static LocalCredentials Load()
    {
        if (!File.Exists(FilePath))
            throw new InvalidOperationException($"{FilePath} is missing: run `make services` (or `make test`) to install and start RabbitMQ, PostgreSQL, Redis and Docker.");
        var values = File.ReadAllLines(FilePath)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());
        string Value(string key) => values.TryGetValue(key, out var value) && value.Length > 0 ? value : throw new InvalidOperationException($"{FilePath} has no {key}.");
        return new LocalCredentials
        {
            RabbitMqUser = Value("TRINITY_RABBITMQ_USER"),
            RabbitMqPassword = Value("TRINITY_RABBITMQ_PASSWORD"),
            PostgresUser = Value("TRINITY_POSTGRES_USER"),
            PostgresPassword = Value("TRINITY_POSTGRES_PASSWORD"),
            RedisPassword = Value("TRINITY_REDIS_PASSWORD"),
        };
    }
}
