using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

[JsonConverter(typeof(KebabCaseEnumConverter<SwitchTrigger>))]
public enum SwitchTrigger
{
    AutoSwitch = 1,
    Manual = 2,
    Rollover = 3,
    Removal = 4,

    /// <summary>The reconciler brought an agent that lagged the database up to date.</summary>
    Reconcile = 5,

    /// <summary>The agent was deleted: its container goes, and with it the token it ran.</summary>
    Deletion = 6,
}
