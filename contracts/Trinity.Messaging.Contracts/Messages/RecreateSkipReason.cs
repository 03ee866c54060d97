using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

[JsonConverter(typeof(KebabCaseEnumConverter<RecreateSkipReason>))]
public enum RecreateSkipReason
{
    NoContainer = 1,
    NotRunning = 2,
}
