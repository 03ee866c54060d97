using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

[JsonConverter(typeof(KebabCaseEnumConverter<TokenRefreshReason>))]
public enum TokenRefreshReason
{
    Rollover = 1,
    Removal = 2,

    /// <summary>The reconciler found the agent running something other than what the database holds.</summary>
    Reconcile = 3,

    /// <summary>The subscription was disabled (an authentication failure of its current key): its agents move off it.</summary>
    Disabled = 4,

    /// <summary>An agent that found no viable alternative is looked at again, now that a cooldown that blocked it has ended.</summary>
    Recheck = 5,

    /// <summary>An operator asked for the agent to be tried again now (<c>./trinity agents retry</c>): its back-off starts afresh.</summary>
    Retry = 6,

    /// <summary>The agent was deleted: its container is drained and removed, then its state machine ends.</summary>
    AgentDeleted = 7,
}
