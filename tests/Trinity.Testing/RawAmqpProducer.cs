using System.Text;
using RabbitMQ.Client;

namespace Trinity.Testing;

/// <summary>A producer that knows nothing of MassTransit: plain JSON to an exchange, as a Python chat executor would publish.</summary>
public static class RawAmqpProducer
{
    public static async Task PublishAsync(TrinityTestSystem system, string exchange, string json, string? contentType = "application/json",
        IDictionary<string, object?>? headers = null)
    {
        var factory = new ConnectionFactory
        {
            HostName = "127.0.0.1",
            VirtualHost = system.VirtualHost,
            UserName = system.Credentials.RabbitMqUser,
            Password = system.Credentials.RabbitMqPassword,
        };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.BasicPublishAsync(exchange, routingKey: "", mandatory: false,
            basicProperties: new BasicProperties { ContentType = contentType, DeliveryMode = DeliveryModes.Persistent, Headers = headers },
            body: Encoding.UTF8.GetBytes(json));
    }
}
