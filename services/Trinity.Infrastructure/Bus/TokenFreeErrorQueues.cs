using System.Net.Mime;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Middleware;
using MassTransit.Serialization;
using Trinity.Hosting.Logging;

namespace Trinity.Infrastructure.Bus;

/// <summary>
/// What a fault moves to an <c>_error</c> queue carries no token-shaped text: the body (every string of a JSON body,
/// names included, else the raw bytes), the producer's headers and MassTransit's fault headers (the exception's
/// message and stack trace can echo a field) are scrubbed on the way. A producer told that the intake scrubs its
/// error text is not betrayed by the queue an operator reads and replays. Everything else moves as it was.
/// </summary>
public static class TokenFreeErrorQueues
{
    /// <summary>The error pipe MassTransit builds by default, with the scrubbing before the move.</summary>
    public static void UseTokenFreeErrorQueue(this IReceiveEndpointConfigurator endpoint) =>
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ScrubTokensFilter());
            error.UseFilter(new ErrorTransportFilter());
        });

    public static byte[] ScrubBody(byte[] body)
    {
        try
        {
            var changed = false;
            return JsonNode.Parse(body) is { } json && Scrubbed(json, ref changed) is { } scrubbed
                ? changed ? Encoding.UTF8.GetBytes(scrubbed.ToJsonString()) : body
                : ScrubBytes(body);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            // Not JSON, or JSON that System.Text.Json will not hold (a duplicate name, half a surrogate pair): the bytes.
            return ScrubBytes(body);
        }
    }

    /// <summary>Token shapes are ASCII: read as Latin-1, every byte is one character and back, so only the masked spans change.</summary>
    static byte[] ScrubBytes(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var scrubbed = SecretRedaction.Scrub(text);
        return text == scrubbed ? bytes : Encoding.Latin1.GetBytes(scrubbed);
    }

    /// <summary>Scrubs every string under <paramref name="node"/> in place (a string value directly held is replaced by its parent).</summary>
    /// <returns>Whether anything changed.</returns>
    static bool ScrubStrings(JsonNode node)
    {
        var changed = false;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    var scrubbedName = SecretRedaction.Scrub(name);
                    var scrubbedValue = Scrubbed(value, ref changed);
                    if (scrubbedName != name)
                    {
                        obj.Remove(name);
                        obj[scrubbedName] = scrubbedValue?.DeepClone();
                        changed = true;
                    }
                    else if (!ReferenceEquals(scrubbedValue, value))
                        obj[name] = scrubbedValue;
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    if (Scrubbed(item, ref changed) is var scrubbed && !ReferenceEquals(scrubbed, item))
                        array[i] = scrubbed;
                }
                break;
        }
        return changed;
    }

    /// <returns>A new string value when <paramref name="node"/> is a string that needed scrubbing, else the node (scrubbed inside).</returns>
    static JsonNode? Scrubbed(JsonNode? node, ref bool changed)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>();
            var scrubbed = SecretRedaction.Scrub(text);
            if (scrubbed == text)
                return node;
            changed = true;
            return JsonValue.Create(scrubbed);
        }
        if (node is not null)
            changed |= ScrubStrings(node);
        return node;
    }

    static object? ScrubHeader(object? value) => value switch
    {
        string text => SecretRedaction.Scrub(text),
        byte[] bytes => ScrubBytes(bytes),
        IDictionary<string, object?> table => table.ToDictionary(p => SecretRedaction.Scrub(p.Key), p => ScrubHeader(p.Value)),
        IList<object?> list => list.Select(ScrubHeader).ToList(),
        _ => value,
    };

    sealed class ScrubTokensFilter : IFilter<ExceptionReceiveContext>
    {
        public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
        {
            foreach (var (name, value) in context.ExceptionHeaders.GetAll().ToList())
                context.ExceptionHeaders.Set(name, ScrubHeader(value));
            // The move copies the received properties, the producer's own headers among them (a header whose name is
            // token-shaped is dropped: a name cannot be masked in place).
            if (context.TryGetPayload(out RabbitMqBasicConsumeContext? received) && received.Properties.Headers is { } headers)
            {
                foreach (var (name, value) in headers.ToList())
                {
                    if (SecretRedaction.Scrub(name) != name)
                        headers.Remove(name);
                    else
                        headers[name] = ScrubHeader(value);
                }
            }
            return next.Send(new ScrubbedExceptionReceiveContext(context, new BytesMessageBody(ScrubBody(context.Body.GetBytes()))));
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("scrubTokens");
    }

    /// <summary>The context as received, with the scrubbed body in place of its own (MassTransit's proxy cannot replace a body).</summary>
    sealed class ScrubbedExceptionReceiveContext(ExceptionReceiveContext context, MessageBody body) : ExceptionReceiveContext
    {
        public MessageBody Body => body;
        public CancellationToken CancellationToken => context.CancellationToken;
        public bool HasPayloadType(Type contextType) => context.HasPayloadType(contextType);
        public bool TryGetPayload<T>(out T payload) where T : class => context.TryGetPayload(out payload!);
        public T GetOrAddPayload<T>(PayloadFactory<T> payloadFactory) where T : class => context.GetOrAddPayload(payloadFactory);
        public T AddOrUpdatePayload<T>(PayloadFactory<T> addFactory, UpdatePayloadFactory<T> updateFactory) where T : class => context.AddOrUpdatePayload(addFactory, updateFactory);
        public TimeSpan ElapsedTime => context.ElapsedTime;
        public Uri InputAddress => context.InputAddress;
        public ContentType ContentType => context.ContentType;
        public bool Redelivered => context.Redelivered;
        public Headers TransportHeaders => context.TransportHeaders;
        public Task ReceiveCompleted => context.ReceiveCompleted;
        public bool IsDelivered => context.IsDelivered;
        public bool IsFaulted => context.IsFaulted;
        public ISendEndpointProvider SendEndpointProvider => context.SendEndpointProvider;
        public IPublishEndpointProvider PublishEndpointProvider => context.PublishEndpointProvider;
        public bool PublishFaults => context.PublishFaults;
        public Task NotifyConsumed<T>(ConsumeContext<T> consumeContext, TimeSpan duration, string consumerType) where T : class => context.NotifyConsumed(consumeContext, duration, consumerType);
        public Task NotifyFaulted<T>(ConsumeContext<T> consumeContext, TimeSpan duration, string consumerType, Exception exception) where T : class => context.NotifyFaulted(consumeContext, duration, consumerType, exception);
        public Task NotifyFaulted(Exception exception) => context.NotifyFaulted(exception);
        public void AddReceiveTask(Task task) => context.AddReceiveTask(task);
        public Exception Exception => context.Exception;
        public DateTime ExceptionTimestamp => context.ExceptionTimestamp;
        public ExceptionInfo ExceptionInfo => context.ExceptionInfo;
        public SendHeaders ExceptionHeaders => context.ExceptionHeaders;
    }
}
