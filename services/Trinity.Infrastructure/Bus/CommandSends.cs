using MassTransit;

namespace Trinity.Infrastructure.Bus;

public static class CommandSends
{
    /// <summary>
    /// A command goes to its queue's exchange (<see cref="Trinity.Messaging.Contracts.EntityNames.QueueAddress"/>): sent
    /// mandatory, so that with no queue bound (deleted by an operator, a broker reset) the broker returns it and the
    /// send fails — the outbox keeps the row and tries again — rather than confirming a message it dropped.
    /// </summary>
    public static void MustReachAQueue(this SendContext context)
    {
        if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
            rabbit.Mandatory = true;
    }
}
