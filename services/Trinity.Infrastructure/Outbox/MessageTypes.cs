using System.Reflection;
using System.Text.Json;
using MassTransit;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;

namespace Trinity.Infrastructure.Outbox;

/// <summary>
/// How a contract is stored in an outbox row: its message URN (not its C# name, so rows survive a rename in code)
/// and its JSON body.
/// </summary>
static class MessageTypes
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    static readonly Dictionary<Type, string> UrnByType = typeof(EntityNames).Assembly.GetTypes()
        .Where(type => type.GetCustomAttribute<MessageUrnAttribute>() is not null)
        .ToDictionary(type => type, type => type.GetCustomAttribute<MessageUrnAttribute>()!.Urn.ToString());

    static readonly Dictionary<string, Type> TypeByUrn = UrnByType.ToDictionary(pair => pair.Value, pair => pair.Key);

    public static string UrnOf(Type messageType) =>
        UrnByType.TryGetValue(messageType, out var urn)
            ? urn
            : throw new ArgumentException($"{messageType.Name} is not a Trinity contract with a [MessageUrn]; only contracts go through the outbox.");

    public static string Serialize<T>(T message) => JsonSerializer.Serialize(message, Json);

    /// <exception cref="UnsendableOutboxMessageException">The URN names no contract here, or the body does not read as it.</exception>
    public static object Deserialize(OutboxMessage row)
    {
        var type = TypeByUrn.TryGetValue(row.MessageType, out var known)
            ? known
            : throw new UnsendableOutboxMessageException($"No contract has the message URN '{row.MessageType}'.");
        try
        {
            return JsonSerializer.Deserialize(row.Body, type, Json) ?? throw new UnsendableOutboxMessageException($"Outbox message {row.MessageId} has an empty body.");
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException)
        {
            throw new UnsendableOutboxMessageException($"The body of outbox message {row.MessageId} does not read as {type.Name}: {ex.Message}", ex);
        }
    }
}
