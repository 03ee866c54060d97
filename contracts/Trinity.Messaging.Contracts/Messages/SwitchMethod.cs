using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>How a decided switch reached the agent.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<SwitchMethod>))]
public enum SwitchMethod
{
    /// <summary>The running agent server swapped the token in its own environment; no turn was touched.</summary>
    HotReload = 1,

    /// <summary>The container was drained and recreated with the database's environment.</summary>
    Recreate = 2,

    /// <summary>No running container: the next start bakes the database's token.</summary>
    Skipped = 3,

    /// <summary>The agent was deleted: its container was drained and removed.</summary>
    Removed = 4,
}
