using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Trinity.Cli.CommandLine;

namespace Trinity.Cli.Connections;

/// <summary>
/// AMQP to the broker, for what the management API cannot do safely: publish with a confirm, and move
/// messages between queues so that none is lost (each is acknowledged only after its copy is confirmed).
/// </summary>
public sealed class BrokerConnection : IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _channel;

    BrokerConnection(IConnection connection, IChannel channel) => (_connection, _channel) = (connection, channel);

    public static async Task<BrokerConnection> OpenAsync(CliSettings settings)
    {
        var factory = new ConnectionFactory
        {
            HostName = settings.RabbitMqHost,
            Port = settings.RabbitMqPort,
            VirtualHost = settings.VirtualHost,
            UserName = settings.RabbitMqUser,
            Password = settings.RabbitMqPassword,
            ClientProvidedName = "trinity-cli",
        };
        try
        {
            var connection = await factory.CreateConnectionAsync();
            var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            return new BrokerConnection(connection, channel);
        }
        catch (BrokerUnreachableException)
        {
            throw new CliException($"RabbitMQ at {settings.RabbitMqHost}:{settings.RabbitMqPort} (virtual host {settings.VirtualHost}) refused or did not answer: is it running, and are the credentials right?");
        }
    }

    /// <summary>Publishes with the mandatory flag and waits for the broker's confirm: an exchange with no queue bound is an error, not a silent drop.</summary>
    public async Task PublishAsync(string exchange, string routingKey, ReadOnlyMemory<byte> body, BasicProperties properties)
    {
        try
        {
            await _channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body);
        }
        catch (PublishException ex) when (ex.IsReturn)
        {
            throw new CliException(exchange.Length == 0
                ? $"No queue {routingKey} exists to take the message."
                : $"Exchange {exchange} has no queue bound: has the Orchestrator ever started in virtual host {_connection.Endpoint}?");
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            throw new CliException($"Exchange {exchange} does not exist in this virtual host: has the Orchestrator ever started here?");
        }
    }

    /// <summary>
    /// Moves what <paramref name="from"/> holds now into <paramref name="to"/>, oldest first, each one
    /// acknowledged only after the broker confirmed its copy. Messages that fault again while this runs go
    /// back to <paramref name="from"/> and are not taken twice.
    /// </summary>
    public async Task<int> MoveAsync(string from, string to, Func<IReadOnlyBasicProperties, BasicProperties> reset)
    {
        var waiting = await CountAsync(from);
        await CountAsync(to);
        var moved = 0;
        while (moved < waiting && await _channel.BasicGetAsync(from, autoAck: false) is { } message)
        {
            await PublishAsync("", to, message.Body, reset(message.BasicProperties));
            await _channel.BasicAckAsync(message.DeliveryTag, multiple: false);
            moved++;
        }
        return moved;
    }

    async Task<uint> CountAsync(string queue)
    {
        try
        {
            return (await _channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            throw new CliException($"There is no queue {queue} in this virtual host.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
