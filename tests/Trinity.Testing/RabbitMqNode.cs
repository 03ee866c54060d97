using System.Security.Cryptography;

namespace Trinity.Testing;

/// <summary>Where a broker is and who may use it: the shared local node, or a <see cref="RabbitMqNode"/> of a test's own.</summary>
/// <param name="ClusterPorts">The AMQP ports of every node, when the broker is a <see cref="RabbitMqCluster"/>: services are given them all.</param>
public sealed record BrokerAccess(int Port, int ManagementPort, string User, string Password, IReadOnlyList<int>? ClusterPorts = null)
{
    /// <summary><c>Trinity:RabbitMq:Nodes</c> for a cluster; empty for one node.</summary>
    public string Nodes => ClusterPorts is null ? "" : string.Join(',', ClusterPorts.Select(port => $"127.0.0.1:{port}"));

    public static BrokerAccess Shared(LocalCredentials credentials) => new(5672, 15672, credentials.RabbitMqUser, credentials.RabbitMqPassword);
}

/// <summary>
/// A RabbitMQ node of the test's own — its own node name, AMQP, management and distribution ports on loopback, data
/// directory, and a user with a fresh password (in an owner-only config file, never on a command line) — so a fault
/// test can stop and start it without touching the shared node every other test uses. Its data survives a stop, as a
/// real broker's does: durable queues and their messages come back with it. Removed at the end.
/// </summary>
public sealed class RabbitMqNode : IAsyncDisposable
{
    readonly string _directory;
    readonly string _logDirectory;
    readonly int _distributionPort;

    RabbitMqNode(string directory, string logDirectory, BrokerAccess access, int distributionPort)
    {
        _directory = directory;
        _logDirectory = logDirectory;
        Access = access;
        _distributionPort = distributionPort;
        NodeName = $"trinity-test-{access.Port}@localhost";
    }

    public BrokerAccess Access { get; }
    public string NodeName { get; }

    public static Task<RabbitMqNode> StartAsync(string logDirectory) =>
        StartAsync(logDirectory, "trinity-test", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    /// <summary>A node whose first start creates this user; a node that then joins a cluster takes the cluster's users.</summary>
    public static async Task<RabbitMqNode> StartAsync(string logDirectory, string user, string password)
    {
        var access = new BrokerAccess(FreePort.Next(), FreePort.Next(), user, password);
        var directory = Path.Combine(Path.GetTempPath(), $"trinity-rabbitmq-{access.Port}");
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(Path.Combine(directory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(directory, "log"));
        var config = Path.Combine(directory, "rabbitmq.conf");
        File.WriteAllText(config, "");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(config, $"""
            listeners.tcp.default = 127.0.0.1:{access.Port}
            management.tcp.ip = 127.0.0.1
            management.tcp.port = {access.ManagementPort}
            loopback_users = none
            collect_statistics_interval = 1000
            default_user = {access.User}
            default_pass = {access.Password}
            default_user_tags.administrator = true
            default_vhost = /

            """);
        File.WriteAllText(Path.Combine(directory, "enabled_plugins"), "[rabbitmq_management].\n");
        File.WriteAllText(Path.Combine(directory, "rabbitmq-env.conf"), "");
        // Debian's rabbitmq-server runs as the rabbitmq user: everything the node touches must be its own.
        var chown = await CommandRun.RunAsync("chown", ["-R", "rabbitmq:rabbitmq", directory], new Dictionary<string, string?>());
        if (chown.ExitCode != 0)
            throw new InvalidOperationException($"chown of {directory} failed: {chown}");
        var node = new RabbitMqNode(directory, logDirectory, access, FreePort.Next());
        try
        {
            await node.StartAsync();
        }
        catch
        {
            await node.DisposeAsync(); // a node that started too slowly is stopped, not left running
            throw;
        }
        return node;
    }

    /// <summary>Starts the node (again) and waits until it takes AMQP connections and management requests.</summary>
    public async Task StartAsync()
    {
        var started = await RabbitMqAsync("rabbitmq-server", "-detached");
        if (started.ExitCode != 0)
            throw new InvalidOperationException($"{NodeName} did not start: {started}");
        // -detached returns before the node is known to epmd: await_startup would fail at once. The listener comes last.
        await Eventually.Until(IsListening, $"{NodeName} to take AMQP connections", TimeSpan.FromSeconds(90));
        using var management = new RabbitMqManagement(Access);
        await Eventually.Until(management.IsUpAsync, $"{NodeName}'s management API", TimeSpan.FromSeconds(60));
    }

    /// <summary>Joins the cluster <paramref name="member"/> is in, as <c>rabbitmqctl join_cluster</c> does: this node's own data is reset.</summary>
    public async Task JoinAsync(RabbitMqNode member)
    {
        foreach (var step in new[] { new[] { "stop_app" }, ["join_cluster", member.NodeName], ["start_app"] })
        {
            var result = await RabbitMqAsync("rabbitmqctl", ["-n", NodeName, "-q", .. step]);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"{NodeName} could not {step[0]} to join {member.NodeName}: {result}");
        }
        await Eventually.Until(IsListening, $"{NodeName} to take AMQP connections in the cluster", TimeSpan.FromSeconds(90));
    }

    /// <summary>Stops the node as an operator's <c>rabbitmqctl stop</c> would: every connection closed, the listener gone.</summary>
    public async Task StopAsync()
    {
        var stopped = await RabbitMqAsync("rabbitmqctl", "-n", NodeName, "-q", "stop");
        if (stopped.ExitCode != 0 && IsListening())
            throw new InvalidOperationException($"{NodeName} did not stop: {stopped}");
        await Eventually.Until(() => !IsListening(), $"{NodeName} to close its port", TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RabbitMqAsync("rabbitmqctl", "-n", NodeName, "-q", "stop");
            foreach (var log in Directory.EnumerateFiles(Path.Combine(_directory, "log")))
                File.Copy(log, Path.Combine(_logDirectory, $"rabbitmq-{Access.Port}-{Path.GetFileName(log)}"), overwrite: true);
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    bool IsListening()
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, Access.Port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>A RabbitMQ command for this node only: its own environment file, so the shared node's settings never apply.</summary>
    Task<CommandResult> RabbitMqAsync(string command, params string[] arguments) =>
        CommandRun.RunAsync(command, arguments, new Dictionary<string, string?>
        {
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(_directory, "rabbitmq-env.conf"),
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_DIST_PORT"] = _distributionPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_directory, "log"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_directory, "rabbitmq"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(_directory, "rabbitmq.pid"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_directory, "enabled_plugins"),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        }, timeout: TimeSpan.FromSeconds(120));
}
