using System.Globalization;
using MassTransit;
using Trinity.Infrastructure.Configuration;

namespace Trinity.Infrastructure.Bus;

/// <summary>
/// Every Trinity endpoint's queue as a quorum queue (<see cref="RabbitMqOptions.QuorumQueues"/>): replicated across a
/// cluster's nodes, its leader free to move, and a single node runs it too. A quorum queue counts each time a message
/// came back unfinished (its consumer died holding it, its connection dropped, it was requeued) in the message's
/// <c>x-delivery-count</c>. A delivery past <see cref="RabbitMqOptions.DeliveryLimit"/> is not given to a consumer:
/// it moves to the endpoint's <c>_error</c> queue with its reason, as any other fault, so a message that kills
/// whoever takes it cannot loop.
/// </summary>
/// <remarks>
/// The limit is kept here, not as the queue's <c>x-delivery-limit</c> with the broker dead-lettering: every declaration
/// of the queue would then have to repeat those arguments, and what the broker dead-letters skips the scrubbing and
/// the reason every other <c>_error</c> message has (and is dropped if <c>_error</c> does not exist yet).
/// </remarks>
public static class QuorumQueues
{
    public const string DeliveryCountHeader = "x-delivery-count";

    public static void UseQuorumQueue(this IRabbitMqReceiveEndpointConfigurator endpoint, RabbitMqOptions options)
    {
        if (!options.QuorumQueues)
            return;
        endpoint.SetQuorumQueue();
        endpoint.UseFilter(new DeliveryLimitFilter(options.DeliveryLimit));
    }

    /// <summary>
    /// How many times this message was delivered before, as the quorum queue counts it: 0 for a first delivery and on
    /// a classic queue. Read only on a redelivery (a flag the broker sets, not the producer), so a producer's own
    /// <c>x-delivery-count</c> header, or one left on a replayed copy, does not count.
    /// </summary>
    public static long EarlierDeliveries(ReceiveContext context) =>
        context.Redelivered && context.TransportHeaders.TryGetHeader(DeliveryCountHeader, out var value)
        && long.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 0;

    sealed class DeliveryLimitFilter(int limit) : IFilter<ConsumeContext>
    {
        public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
        {
            var earlier = EarlierDeliveries(context.ReceiveContext);
            return earlier >= limit ? throw new DeliveryLimitExceededException(earlier + 1, limit) : next.Send(context);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("deliveryLimit").Add("limit", limit);
    }
}

/// <summary>A message delivered more times than the delivery limit allows: moved to <c>_error</c>, never retried.</summary>
public sealed class DeliveryLimitExceededException(long delivery, int limit)
    : Exception($"Delivery {delivery} of this message is past the delivery limit of {limit}: every earlier delivery ended without an answer "
                + "(the consumer died holding it, its connection dropped, or it was requeued). Moved to _error; find why it kills its consumer before replaying it.");
