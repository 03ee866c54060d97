using System.Collections.Concurrent;
using MassTransit;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Configuration;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Testing;

/// <summary>
/// A MassTransit bus owned by the test: publishes what producers would, and records the events the system
/// publishes on a queue of its own (bound to the same exchanges any operator's consumer would use).
/// </summary>
public sealed class BusObserver : IAsyncDisposable
{
    /// <summary>The services' queue settings, defaults and all.</summary>
    static readonly RabbitMqOptions QueueSettings = new();

    readonly IBusControl _bus;
    readonly ConcurrentQueue<(object Message, long At, Guid? MessageId)> _received = new();

    BusObserver(IBusControl bus) => _bus = bus;

    public IBus Bus => _bus;

    /// <param name="containerManager">
    /// When given, the test also plays the container manager: it consumes <see cref="RecreateContainer"/> from the
    /// manager's queue and answers as this function says.
    /// </param>
    public static async Task<BusObserver> StartAsync(TrinityTestSystem system, Func<ConsumeContext<RecreateContainer>, Task>? containerManager = null)
    {
        BusObserver? observer = null;
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host("127.0.0.1", (ushort)system.Broker.Port, system.VirtualHost, host =>
            {
                host.Username(system.Broker.User);
                host.Password(system.Broker.Password);
                if (system.Broker.ClusterPorts is { } ports)
                    host.UseCluster(cluster =>
                    {
                        foreach (var port in ports)
                            cluster.Node($"127.0.0.1:{port}");
                    });
            });
            rabbit.ReceiveEndpoint($"test.observer.{system.RunId}", endpoint =>
            {
                // A quorum queue, as the system's own: on a cluster, a classic queue is lost with the node it lives on.
                endpoint.UseQuorumQueue(QueueSettings);
                endpoint.Handler<AgentSubscriptionSwitched>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<AgentSubscriptionsExhausted>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<SubscriptionFailureReported>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<TokenReloaded>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<TokenRotationFailed>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<TokenReloadFellBack>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<ContainerRecreated>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<ContainerRecreateSkipped>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<AgentContainerStarted>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<AgentContainerRemoved>(context => observer!.Record(context.Message, context.MessageId));
                endpoint.Handler<AgentContainerMoved>(context => observer!.Record(context.Message, context.MessageId));
            });
            if (containerManager is not null)
            {
                // Declared as the real manager declares its queue: the two may meet on one broker.
                rabbit.ReceiveEndpoint(Trinity.Messaging.Contracts.EntityNames.Queues.ContainerManagerOf(Trinity.Messaging.Contracts.Identity.DockerHostName.Local), endpoint =>
                {
                    endpoint.UseQuorumQueue(QueueSettings);
                    endpoint.Handler<RecreateContainer>(async context =>
                    {
                        await observer!.Record(context.Message, context.MessageId);
                        await containerManager(context);
                    });
                });
            }
        });
        observer = new BusObserver(bus);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bus.StartAsync(timeout.Token);
        return observer;
    }

    public IReadOnlyList<T> Received<T>() => _received.Select(r => r.Message).OfType<T>().ToList();

    /// <summary>Each message with when it arrived, as <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> (benchmarks measure on this clock).</summary>
    public IReadOnlyList<(T Message, long At)> ReceivedWithTimes<T>() =>
        _received.Where(r => r.Message is T).Select(r => ((T)r.Message, r.At)).ToList();

    public Task Publish<T>(T message)
        where T : class => _bus.Publish(message);

    public async ValueTask DisposeAsync() => await _bus.StopAsync();

    /// <summary>Each message with its MessageId: a redelivery repeats the id, a second publish does not.</summary>
    public IReadOnlyList<(T Message, Guid? MessageId)> ReceivedWithIds<T>() =>
        _received.Where(r => r.Message is T).Select(r => ((T)r.Message, r.MessageId)).ToList();

    Task Record(object message, Guid? messageId)
    {
        _received.Enqueue((message, System.Diagnostics.Stopwatch.GetTimestamp(), messageId));
        return Task.CompletedTask;
    }
}
