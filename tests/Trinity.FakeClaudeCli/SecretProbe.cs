using System.Runtime.InteropServices;
using Trinity.Messaging.Contracts.Identity;

namespace Trinity.FakeClaudeCli;

/// <summary>
/// A prompt-injected turn's look for secrets (the prompt <c>probe-secrets</c>): every process's environment and command
/// line, the server's memory and ptrace, any .NET diagnostics socket, and every file under <c>/var/lib/trinity</c> and <c>$HOME</c>. It prints what
/// it could read — the long values only, so that the turn's output keeps all of it, each with its fingerprint — and
/// "denied" where it could not. The server masks every token it knows in a turn's output, so the test looks for the
/// secrets' fingerprints, which a mask cannot hide.
/// </summary>
public static partial class SecretProbe
{
    const int PtraceSeize = 0x4206;

    public static int Run()
    {
        Console.WriteLine("probe started");
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            var pid = Path.GetFileName(dir);
            Console.WriteLine($"environ {(pid == self ? "self" : pid)}: {Read(Path.Combine(dir, "environ"), LongValues)}");
            Console.WriteLine($"cmdline {(pid == self ? "self" : pid)}: {Read(Path.Combine(dir, "cmdline"), text => text.Replace('\0', ' '))}");
            if (pid == self)
                continue;
            Console.WriteLine($"mem {pid}: {Read(Path.Combine(dir, "mem"), _ => "opened")}");
            var attached = Ptrace(PtraceSeize, int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture), 0, 0) == 0;
            Console.WriteLine($"ptrace {pid}: {(attached ? "attached" : $"denied (errno {Marshal.GetLastPInvokeError()})")}");
        }
        // The .NET diagnostics socket answers "get environment" with the process's native environment, dumpable or not.
        foreach (var socket in Directory.EnumerateFiles("/tmp", "dotnet-diagnostic-*"))
            Console.WriteLine($"diagnostics {socket}: {Connect(socket)}");
        foreach (var root in new[] { "/var/lib/trinity", Environment.GetEnvironmentVariable("HOME") ?? "/home/developer" })
        {
            foreach (var file in Files(root))
                Console.WriteLine($"file {file}: {Read(file, text => Shown(text.Trim()))}");
        }
        Console.WriteLine("probe done");
        return 0;
    }

    static string Connect(string path)
    {
        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            return "connected";
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            return $"refused ({ex.SocketErrorCode})";
        }
    }

    static string Read(string path, Func<string, string> show)
    {
        try
        {
            // /proc/<pid>/mem is refused at open when the process may not be traced; reading it needs an offset.
            if (path.EndsWith("/mem", StringComparison.Ordinal))
            {
                using var _ = File.OpenRead(path);
                return show("");
            }
            return show(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"denied ({ex.GetType().Name})";
        }
    }

    /// <summary>Variables whose value is long enough to be a key or a token, and not a path or a URL.</summary>
    static string LongValues(string environ) => string.Join(' ', environ.Split('\0', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .Where(pair => pair is [_, var value] && value.Length >= 16 && !value.Contains('/', StringComparison.Ordinal))
        .Select(pair => $"{pair[0]}={Shown(pair[1])}"));

    static string Shown(string value) => value.Length == 0 ? "" : $"{(value.Length > 200 ? value[..200] : value)} (fingerprint {TokenFingerprint.Of(value)})";

    static List<string> Files(string root)
    {
        try
        {
            return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    [LibraryImport("libc", EntryPoint = "ptrace", SetLastError = true)]
    private static partial long Ptrace(long request, int pid, long address, long data);
}
