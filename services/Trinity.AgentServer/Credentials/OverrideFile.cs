using System.Text;

namespace Trinity.AgentServer.Credentials;

/// <summary>The token that survives a stop/start: created owner-only (0600) in one call, forced back to 0600 if it existed.</summary>
public sealed class OverrideFile(string path)
{
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Path { get; } = path;

    public string? Read()
    {
        if (!File.Exists(Path))
            return null;
        var token = File.ReadAllText(Path).Trim();
        return token.Length == 0 ? null : token;
    }

    public void Write(string token)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var stream = new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = OwnerOnly,
        });
        // UnixCreateMode applies only to a new file: an existing one keeps its mode unless forced.
        File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly);
        stream.Write(Encoding.UTF8.GetBytes(token));
        stream.Flush(flushToDisk: true);
    }
}
