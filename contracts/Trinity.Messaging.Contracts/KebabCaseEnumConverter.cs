using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trinity.Messaging.Contracts;

/// <summary>
/// Enums travel as kebab-case strings (<c>rate-limited</c>, <c>hot-reload</c>): readable in the management UI's
/// message view, and what producers in other languages write.
/// </summary>
public sealed class KebabCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
