using System.Reflection;
using MassTransit;
using Trinity.Messaging.Contracts;

namespace Trinity.Infrastructure.Outbox;

/// <summary>Maps every contract to its message URN and back, so outbox rows survive a rename in code.</summary>
public static class MessageTypes
{
    static readonly Dictionary<Type, string> UrnByType = typeof(EntityNames).Assembly.GetTypes()
        .Where(type => type.GetCustomAttribute<MessageUrnAttribute>() is not null)
        .ToDictionary(type => type, type => type.GetCustomAttribute<MessageUrnAttribute>()!.Urn.ToString());

    static readonly Dictionary<string, Type> TypeByUrn = UrnByType.ToDictionary(pair => pair.Value, pair => pair.Key);

    public static string UrnOf(Type messageType) =>
        UrnByType.TryGetValue(messageType, out var urn)
            ? urn
            : throw new ArgumentException($"{messageType.Name} is not a Trinity contract with a [MessageUrn]; only contracts go through the outbox.");

    public static Type TypeOf(string urn) =>
        TypeByUrn.TryGetValue(urn, out var type) ? type : throw new InvalidOperationException($"No contract has the message URN '{urn}'.");
}
