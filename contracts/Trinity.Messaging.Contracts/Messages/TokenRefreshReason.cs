using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

[JsonConverter(typeof(KebabCaseEnumConverter<TokenRefreshReason>))]
public enum TokenRefreshReason
{
    Rollover = 1,
    Removal = 2,

    /// <summary>The reconciler found the agent running something other than what the database holds.</summary>
    Reconcile = 3,
}
