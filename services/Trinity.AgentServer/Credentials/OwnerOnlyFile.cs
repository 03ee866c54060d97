using System.Text;

namespace Trinity.AgentServer.Credentials;

/// <summary>
/// A value that survives a stop/start — the rotated token (the override file), the highest fence accepted — in the
/// container's writable layer: created owner-only (0600) in one call, forced back to 0600 if it existed, fsynced.
/// </summary>
public sealed class OwnerOnlyFile(string path)
{
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Path { get; } = path;

    /// <returns>The value, or null when there is none (no file, or an empty one).</returns>
    public string? Read()
    {
        if (!File.Exists(Path))
            return null;
        var value = File.ReadAllText(Path).Trim();
        return value.Length == 0 ? null : value;
    }

    public void Write(string value)
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
        stream.Write(Encoding.UTF8.GetBytes(value));
        stream.Flush(flushToDisk: true);
    }
}
