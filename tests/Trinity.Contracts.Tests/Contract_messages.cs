using System.Reflection;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Trinity.Messaging.Contracts;

namespace Trinity.Contracts.Tests;

public sealed class Contract_messages
{
    static readonly Type[] MessageTypes = typeof(EntityNames).Assembly.GetTypes()
        .Where(t => t.Namespace == "Trinity.Messaging.Contracts.Messages" && t is { IsClass: true, IsAbstract: false })
        .ToArray();

    public static TheoryData<Type> Messages() => new(MessageTypes);

    [Fact]
    public void Every_message_of_the_design_is_a_contract() =>
        Assert.Equal(
            [
                "AgentContainerMoved", "AgentContainerRemoved", "AgentContainerStarted", "AgentContainersDescribed", "AgentSubscriptionSwitched", "AgentSubscriptionsExhausted", "AgentTokenRefreshRequested",
                "ContainerRecreateSkipped", "ContainerRecreated", "DescribeAgentContainers", "MoveAgentContainer", "OverrideFileRead", "ReadOverrideFile", "RecreateContainer", "ReloadToken", "RemoveAgentContainer", "ReportSubscriptionFailure", "RotationDeadlinePassed",
                "StartAgentContainer", "SubscriptionDisabled", "SubscriptionFailureReported", "SubscriptionKeyRolledOver", "SubscriptionReassignmentRequested",
                "SubscriptionRemoved", "TokenReloadFellBack", "TokenReloaded", "TokenRotationFailed",
            ],
            MessageTypes.Select(t => t.Name).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Messages))]
    public void Serialize_and_deserialize_unchanged(Type messageType)
    {
        var original = Sample(messageType);
        var json = JsonSerializer.Serialize(original, messageType, SystemTextJsonMessageSerializer.Options);
        var copy = JsonSerializer.Deserialize(json, messageType, SystemTextJsonMessageSerializer.Options);
        // A record compares its lists by reference: one with lists is compared by what it serializes to.
        if (messageType.GetProperties().Any(p => IsList(p.PropertyType)))
            Assert.Equal(json, JsonSerializer.Serialize(copy, messageType, SystemTextJsonMessageSerializer.Options));
        else
            Assert.Equal(original, copy);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Never_carry_a_token(Type messageType)
    {
        // Fingerprints and fencing tokens are not secrets; anything else named like a token is.
        var suspicious = messageType.GetProperties()
            .Where(p => p.Name.Contains("Token", StringComparison.OrdinalIgnoreCase) || p.Name.Contains("Key", StringComparison.OrdinalIgnoreCase))
            .Where(p => p.Name is not ("TokenFingerprint" or "FencingToken" or "KeyVersion"))
            .Select(p => p.Name);
        Assert.Empty(suspicious);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Name_their_exchange_and_message_type_explicitly(Type messageType)
    {
        var entity = messageType.GetCustomAttribute<EntityNameAttribute>();
        var urn = messageType.GetCustomAttribute<MessageUrnAttribute>();
        Assert.NotNull(entity);
        Assert.NotNull(urn);
        Assert.StartsWith("trinity.", entity.EntityName, StringComparison.Ordinal);
        Assert.StartsWith("urn:message:trinity:", urn.Urn.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Exchange_names_are_unique() =>
        Assert.Equal(MessageTypes.Length, MessageTypes.Select(m => m.GetCustomAttribute<EntityNameAttribute>()!.EntityName).Distinct().Count());

    /// <summary>A message with every property set to a distinct non-default value.</summary>
    static object Sample(Type messageType)
    {
        var message = Activator.CreateInstance(messageType)!;
        var seed = 1;
        foreach (var property in messageType.GetProperties())
            property.SetValue(message, SampleValue(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, seed++));
        return message;
    }

    static bool IsList(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>);

    static object SampleValue(Type type, int seed) => type switch
    {
        _ when IsList(type) => SampleList(type.GetGenericArguments()[0], seed),
        // A record of the contracts inside a message: every constructor argument a sample.
        _ when type.Namespace?.StartsWith("Trinity.Messaging.Contracts", StringComparison.Ordinal) == true && type.IsClass =>
            type.GetConstructors().Single().Invoke(type.GetConstructors().Single().GetParameters().Select((p, i) =>
                SampleValue(Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType, seed * 10 + i)).ToArray()),
        _ when type == typeof(Guid) => new Guid(seed, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
        _ when type == typeof(string) => $"value-{seed}",
        _ when type == typeof(int) => seed * 7,
        _ when type == typeof(long) => seed * 1_000_000_007L,
        _ when type == typeof(DateTimeOffset) => new DateTimeOffset(2026, 11, 28, 14, 2, seed, TimeSpan.Zero),
        _ when type == typeof(TimeSpan) => TimeSpan.FromSeconds(seed * 30),
        // The flags (Drained) are true unless said otherwise.
        _ when type == typeof(bool) => false,
        _ when type.IsEnum => Enum.GetValues(type).GetValue(seed % Enum.GetValues(type).Length)!,
        _ => throw new NotSupportedException($"No sample for {type}"),
    };

    static Array SampleList(Type element, int seed)
    {
        var list = Array.CreateInstance(element, 2);
        for (var i = 0; i < 2; i++)
            list.SetValue(SampleValue(element, seed * 100 + i), i);
        return list;
    }
}
