using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Placement;
using Trinity.Messaging.Contracts;

namespace Trinity.Infrastructure.Bus;

/// <summary>
/// The queues commands are sent to, declared by every service before its bus starts, exactly as their consumer
/// declares them (a quorum queue, or a classic one, bound to the exchange of its name). Commands go to the queue's
/// exchange (<see cref="EntityNames.QueueAddress"/>), never declaring the queue on the way: a sender's declaration
/// carries no queue type, and the broker refuses it for a quorum queue (or, first, makes the queue classic). So a
/// command sent before its consumer ever started waits in its queue, as before — a command for a Docker host whose
/// manager is down waits for it there.
/// </summary>
public sealed class CommandQueues(IOptions<RabbitMqOptions> options, DockerHosts dockerHosts, ILogger<CommandQueues> logger) : IHostedService
{
    /// <summary>The worker's queue and every queue of each Docker host's container manager.</summary>
    public IReadOnlyList<string> All =>
        [EntityNames.Queues.RotationWorker, .. dockerHosts.All.SelectMany(host => EntityNames.Queues.ContainerManagerQueuesOf(host.Name))];

    /// <summary>As long as MassTransit waits for the broker at start.</summary>
    static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var factory = new ConnectionFactory
        {
            VirtualHost = settings.VirtualHost,
            UserName = settings.Username, Password = settings.Password, ClientProvidedName = $"{BusRegistration.ConnectionName()} (declaring command queues)",
        };
        var endpoints = settings.Endpoints().Select(e => new AmqpTcpEndpoint(e.Host, e.Port)).ToList();
        var arguments = settings.QuorumQueues ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;
        var deadline = DateTimeOffset.UtcNow + GiveUpAfter;
        while (true)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync(endpoints, cancellationToken);
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                foreach (var queue in All)
                {
                    await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                    await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken);
                    await channel.QueueBindAsync(queue, queue, routingKey: "", cancellationToken: cancellationToken);
                }
                return;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 406)
            {
                throw new InvalidOperationException(
                    $"A command queue exists with other settings than Trinity:RabbitMq:QuorumQueues={settings.QuorumQueues} asks for ({ex.ShutdownReason.ReplyText}). "
                    + "See docs/operations.md, \"Quorum queues and the delivery limit\".", ex);
            }
            catch (BrokerUnreachableException ex) when (ex.InnerException is AuthenticationFailureException)
            {
                throw new InvalidOperationException(
                    $"The broker at {settings.Describe()} refused user {settings.Username} on virtual host {settings.VirtualHost}: check Trinity:RabbitMq:Username and Password.", ex);
            }
            catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or IOException
                                           && DateTimeOffset.UtcNow < deadline)
            {
                logger.LogWarning("The broker at {Broker} does not answer yet ({Reason}); the command queues are declared once it does",
                    settings.Describe(), ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
