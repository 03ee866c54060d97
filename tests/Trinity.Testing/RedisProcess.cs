using System.Security.Cryptography;

namespace Trinity.Testing;

/// <summary>
/// A Redis of the test's own, on a free loopback port, with a password (in an owner-only config file, never
/// on the command line) and nothing kept on disk — so a restart comes back empty, as the real one does here.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    readonly string _config;
    readonly string _logDirectory;

    RedisProcess(string config, string logDirectory, int port, string password)
    {
        _config = config;
        _logDirectory = logDirectory;
        Port = port;
        Password = password;
    }

    public int Port { get; }
    public string Password { get; }
    public ServiceProcess? Process { get; private set; }
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Points a service at this Redis instead of the shared one: adds its endpoint and password to <paramref name="settings"/>.</summary>
    public Dictionary<string, string?> For(Dictionary<string, string?> settings)
    {
        settings["Trinity__Redis__Endpoint"] = Endpoint;
        settings["Trinity__Redis__Password"] = Password;
        return settings;
    }

    public static async Task<RedisProcess> StartAsync(string logDirectory)
    {
        var port = FreePort.Next();
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var config = Path.Combine(logDirectory, $"redis-{port}.conf");
        File.WriteAllText(config, "");
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(config, $"bind 127.0.0.1\nport {port}\nsave \"\"\nappendonly no\ndaemonize no\nrequirepass {password}\n");
        var redis = new RedisProcess(config, logDirectory, port, password);
        await redis.StartAsync();
        return redis;
    }

    public async Task StartAsync()
    {
        Process = ServiceProcess.StartExecutable("redis-server", [_config], $"redis-{Port}", new Dictionary<string, string?>(), _logDirectory, "Ready to accept connections");
        await Process.WaitUntilStartedAsync();
    }

    public async Task StopAsync()
    {
        if (Process is not null)
            await Process.DisposeAsync();
        Process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
