using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>Who saw the failure: an interactive chat turn, a scheduled execution, or the HTTP API.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<FailureSource>))]
public enum FailureSource
{
    Chat = 1,
    Schedule = 2,
    Api = 3,
}
