using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>Why the rotation worker fell back from hot-reload to a drained recreate.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<FallbackReason>))]
public enum FallbackReason
{
    /// <summary>The agent answered 404: an image from before the reload endpoint.</summary>
    EndpointMissing = 1,
    Unreachable = 2,

    /// <summary>The agent answered 5xx.</summary>
    AgentError = 3,
    NoToken = 4,
}
