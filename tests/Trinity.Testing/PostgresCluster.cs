using System.Security.Cryptography;

namespace Trinity.Testing;

/// <summary>Where a PostgreSQL server is and who may use it: the shared local one, or a <see cref="PostgresCluster"/> of a test's own.</summary>
public sealed record PostgresAccess(int Port, string User, string Password)
{
    public static PostgresAccess Shared(LocalCredentials credentials) => new(5432, credentials.PostgresUser, credentials.PostgresPassword);
}

/// <summary>
/// A PostgreSQL cluster of the test's own — its own data directory, a loopback port, a superuser with a fresh
/// password (given to initdb in an owner-only file, never on a command line) — so a fault test can restart it without
/// touching the shared server every other test uses. It runs as the postgres user (initdb refuses root); its data
/// survives a restart, as a real one's does. Removed at the end.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    const string User = "postgres";
    readonly string _directory;
    readonly string _logDirectory;

    PostgresCluster(string directory, string logDirectory, PostgresAccess access)
    {
        _directory = directory;
        _logDirectory = logDirectory;
        Access = access;
    }

    public PostgresAccess Access { get; }
    public ServiceProcess? Process { get; private set; }
    string Data => Path.Combine(_directory, "data");

    public static async Task<PostgresCluster> StartAsync(string logDirectory)
    {
        var access = new PostgresAccess(FreePort.Next(), "trinity_test", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var directory = Path.Combine(Path.GetTempPath(), $"trinity-postgres-{access.Port}");
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        var passwordFile = Path.Combine(directory, "password");
        File.WriteAllText(passwordFile, "");
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(passwordFile, access.Password);
        var chown = await CommandRun.RunAsync("chown", ["-R", $"{User}:{User}", directory], new Dictionary<string, string?>());
        if (chown.ExitCode != 0)
            throw new InvalidOperationException($"chown of {directory} failed: {chown}");
        var cluster = new PostgresCluster(directory, logDirectory, access);
        CommandResult initdb;
        try
        {
            initdb = await CommandRun.RunAsync("setpriv", AsPostgres(Binary("initdb"), "-D", cluster.Data, "-U", access.User, $"--pwfile={passwordFile}",
                "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"), new Dictionary<string, string?>(), timeout: TimeSpan.FromSeconds(120));
        }
        finally
        {
            File.Delete(passwordFile);
        }
        if (initdb.ExitCode != 0)
            throw new InvalidOperationException($"initdb failed: {initdb}");
        await cluster.StartAsync();
        return cluster;
    }

    /// <summary>Starts the server (again) in the foreground of a process of the test's own and waits until it takes connections.</summary>
    public async Task StartAsync()
    {
        Process = ServiceProcess.StartExecutable("setpriv",
            AsPostgres(Binary("postgres"), "-D", Data, "-p", Access.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={_directory}", "-c", "fsync=off"),
            $"postgres-{Access.Port}", new Dictionary<string, string?>(), _logDirectory, "database system is ready to accept connections");
        await Process.WaitUntilStartedAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A fast shutdown, as <c>pg_ctl stop</c> does by default: every session ended, the port closed.</summary>
    public async Task StopAsync()
    {
        if (Process is null)
            return;
        var stopped = await CommandRun.RunAsync("setpriv", AsPostgres(Binary("pg_ctl"), "stop", "-D", Data, "-m", "fast", "-w"),
            new Dictionary<string, string?>(), timeout: TimeSpan.FromSeconds(60));
        if (stopped.ExitCode != 0)
            throw new InvalidOperationException($"PostgreSQL on {Access.Port} did not stop: {stopped}");
        await Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await Process.DisposeAsync();
        Process = null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Runs a PostgreSQL binary as the postgres user in the same process (setpriv execs it), so its PID is the server's own.</summary>
    static string[] AsPostgres(params string[] command) => ["--reuid", User, "--regid", User, "--init-groups", .. command];

    static string Binary(string name) =>
        Path.Combine(Directory.GetDirectories("/usr/lib/postgresql").OrderBy(v => int.TryParse(Path.GetFileName(v), out var major) ? major : 0).Last(), "bin", name);
}
