using System.Text;
using RabbitMQ.Client;

namespace Trinity.Testing;

/// <summary>A client that knows nothing of MassTransit: plain JSON to an exchange, as a Python chat executor would publish, and a queue's live consumer count.</summary>
public static class RawAmqpProducer
{
    public static async Task PublishAsync(TrinityTestSystem system, string exchange, string json, string? contentType = "application/json",
        IDictionary<string, object?>? headers = null)
    {
        await using var connection = await ConnectAsync(system);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.BasicPublishAsync(exchange, routingKey: "", mandatory: false,
            basicProperties: new BasicProperties { ContentType = contentType, DeliveryMode = DeliveryModes.Persistent, Headers = headers },
            body: Encoding.UTF8.GetBytes(json));
    }

    /// <summary>
    /// Takes the next message of <paramref name="queue"/> unacknowledged and closes the connection holding it, as a
    /// consumer that dies mid-message does: the broker puts it back, one delivery more. False when the queue was empty.
    /// </summary>
    public static async Task<bool> TakeAndDieAsync(TrinityTestSystem system, string queue)
    {
        await using var connection = await ConnectAsync(system);
        await using var channel = await connection.CreateChannelAsync();
        return await channel.BasicGetAsync(queue, autoAck: false) is not null;
    }

    /// <summary>
    /// How many consumers the broker has on <paramref name="queue"/> right now (a passive declare: the queue's own
    /// count, not the management API's statistics, which lag by seconds after a restart); null if the broker cannot say.
    /// </summary>
    public static async Task<int?> ConsumersAsync(TrinityTestSystem system, string queue)
    {
        try
        {
            await using var connection = await ConnectAsync(system);
            await using var channel = await connection.CreateChannelAsync();
            return (int)(await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.OperationInterruptedException
                                       or RabbitMQ.Client.Exceptions.AlreadyClosedException or IOException)
        {
            return null;
        }
    }

    static Task<IConnection> ConnectAsync(TrinityTestSystem system) => new ConnectionFactory
    {
        HostName = "127.0.0.1",
        Port = system.Broker.Port,
        VirtualHost = system.VirtualHost,
        UserName = system.Broker.User,
        Password = system.Broker.Password,
    }.CreateConnectionAsync();
}
