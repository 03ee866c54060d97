using System.Text.Json;

namespace Trinity.AgentServer.Fleet;

public sealed record FleetAgent(string Name, string ControlKey, string? Token);

/// <summary>
/// Fleet mode's agents, from a JSON file readable by its owner only (it holds control keys and tokens):
/// <c>[{"name": "a1", "controlKey": "…", "token": "…"}]</c>.
/// </summary>
public static class FleetFile
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<FleetAgent> Load(string path)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException($"Fleet file {path} does not exist.");
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            throw new InvalidOperationException($"Fleet file {path} holds secrets and must be readable by its owner only (chmod 600).");
        var agents = JsonSerializer.Deserialize<List<FleetAgent>>(File.ReadAllText(path), Json)
            ?? throw new InvalidOperationException($"Fleet file {path} is empty.");
        var duplicate = agents.GroupBy(a => a.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? agents : throw new InvalidOperationException($"Fleet file {path} names agent {duplicate.Key} twice.");
    }
}
