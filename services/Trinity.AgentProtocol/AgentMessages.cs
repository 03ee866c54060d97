using System.Text.Json.Serialization;

namespace Trinity.AgentProtocol;

/// <summary>
/// The reload body. <c>token</c> and <c>remove_api_key</c> are the reference contract's, read by every agent;
/// <c>fencing_token</c> is this system's extra, which a reference agent ignores and ours checks (409 when older
/// than one it accepted).
/// </summary>
public sealed record ReloadTokenRequest(
    [property: JsonPropertyName("token")] string? Token,
    [property: JsonPropertyName("remove_api_key")] bool RemoveApiKey = false,
    [property: JsonPropertyName("fencing_token")] long? FencingToken = null);

/// <summary>
/// The reload answer: <c>{"status": "success", "reloaded": true}</c> from every agent; ours adds the fingerprint
/// of the token it now runs and the fence it holds. A reference agent's answer has neither.
/// </summary>
public sealed record ReloadTokenAnswer(
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("reloaded")] bool Reloaded,
    [property: JsonPropertyName("fingerprint"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Fingerprint = null,
    [property: JsonPropertyName("fence"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Fence = null)
{
    public const string Success = "success";
}

/// <summary>What an agent server of this system says it runs (<see cref="AgentPaths.Credentials"/>).</summary>
public sealed record CredentialState(string? Fingerprint, string Source, DateTimeOffset? ChangedAt, int Reloads);

/// <param name="TtlSeconds">How long the drain holds unless renewed (default 60, at most 3600): an interrupted drain lapses by itself.</param>
public sealed record DrainRequest(int? TtlSeconds);

public sealed record AdmissionState(bool Draining, int InFlight, DateTimeOffset? DrainingUntil = null);
