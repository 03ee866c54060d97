using System.Text.Json;
using RabbitMQ.Client;
using Trinity.Cli.CommandLine;
using Trinity.Cli.Connections;
using Trinity.Messaging.Contracts.Failures;

namespace Trinity.Cli.Commands;

/// <summary>
/// <c>bus queues|errors|replay</c>: the broker as an operator inspects it. Dead-lettered messages are
/// described by their headers (type, reason, time) and never by their bodies.
/// </summary>
public static class BusCommands
{
    const string ErrorSuffix = "_error";
    const string SkippedSuffix = "_skipped";

    public static async Task<int> QueuesAsync(CliArguments args, CliSettings settings)
    {
        args.RejectUnknown(2);
        using var management = Management(settings);
        var all = await management.QueuesAsync(settings.VirtualHost);
        var byName = all.ToDictionary(q => q.Name, StringComparer.Ordinal);
        var rows = all.Where(q => !q.Name.EndsWith(ErrorSuffix, StringComparison.Ordinal) && !q.Name.EndsWith(SkippedSuffix, StringComparison.Ordinal))
            .Select(q => new
            {
                queue = q.Name,
                ready = q.Ready,
                unacked = q.Unacked,
                consumers = q.Consumers,
                errors = byName.TryGetValue(q.Name + ErrorSuffix, out var error) ? error.Ready + error.Unacked : 0,
                skipped = byName.TryGetValue(q.Name + SkippedSuffix, out var skipped) ? skipped.Ready + skipped.Unacked : 0,
            })
            .ToList();
        if (args.Json)
            Output.Json(new { virtualHost = settings.VirtualHost, queues = rows });
        else
            Output.Table(["queue", "ready", "unacked", "consumers", "_error", "_skipped"], rows.Select(r => new[]
            {
                r.queue, $"{r.ready}", $"{r.unacked}", $"{r.consumers}", $"{r.errors}", $"{r.skipped}",
            }));
        return 0;
    }

    public static async Task<int> ErrorsAsync(CliArguments args, CliSettings settings)
    {
        var queue = QueueName(args);
        var limit = args.Optional("limit") is { } text ? int.TryParse(text, out var n) && n > 0 ? n : throw new CliException($"--limit '{text}' is not a positive number.") : 100;
        args.RejectUnknown(3);
        using var management = Management(settings);
        var dead = (await management.PeekAsync(settings.VirtualHost, queue + ErrorSuffix, limit)).Select(Describe).ToList();
        if (args.Json)
            Output.Json(new { queue = queue + ErrorSuffix, messages = dead });
        else
            Output.Table(["time", "type", "reason"], dead.Select(d => new[] { d.Time, d.Type, d.Reason }));
        return 0;
    }

    /// <summary>Moves every message of <c>queue_error</c> back to <c>queue</c>, without the previous fault's headers.</summary>
    public static async Task<int> ReplayAsync(CliArguments args, CliSettings settings)
    {
        var queue = QueueName(args);
        args.RejectUnknown(3);
        await using var broker = await BrokerConnection.OpenAsync(settings);
        var moved = await broker.MoveAsync(queue + ErrorSuffix, queue, WithoutFault);
        if (args.Json)
            Output.Json(new { from = queue + ErrorSuffix, to = queue, replayed = moved });
        else
            Console.Out.WriteLine($"Replayed {moved} message(s) from {queue}{ErrorSuffix} to {queue}.");
        return 0;
    }

    /// <summary>The outbox, over the API: how many rows wait to be sent, and the parked ones (never a body).</summary>
    public static async Task<int> OutboxAsync(CliArguments args, CliSettings settings)
    {
        args.RejectUnknown(2);
        using var api = SubscriptionCommands.Api(settings);
        var outbox = await api.GetAsync("api/outbox");
        if (args.Json)
        {
            Output.Json(outbox);
            return 0;
        }
        Console.Out.WriteLine($"{outbox.GetProperty("pending").GetInt32()} message(s) committed and not yet sent.");
        Output.Table(["parked", "type", "reason", "created"], outbox.GetProperty("parked").EnumerateArray().Select(p => new[]
        {
            SubscriptionCommands.Text(p, "parkedAt"), SubscriptionCommands.Text(p, "messageType"), SubscriptionCommands.Text(p, "reason"), SubscriptionCommands.Text(p, "createdAt"),
        }));
        return 0;
    }

    public sealed record DeadLetter(string? Time, string? Type, string? Reason, string? Exception);

    /// <summary>From MassTransit's fault headers; the reason is scrubbed again on the way out, in case an exception text carried a token.</summary>
    static DeadLetter Describe(QueuedMessage message)
    {
        string? Header(string name) => message.Headers.TryGetValue(name, out var value) ? value : null;
        var reason = Header("MT-Fault-Message") ?? Header("MT-Reason");
        return new DeadLetter(
            Header("MT-Fault-Timestamp"),
            Header("MT-Fault-MessageType") ?? EnvelopeType(message.Payload) ?? message.Type ?? "(plain JSON, no type)",
            reason is null ? null : TokenShapedText.Scrub(reason),
            Header("MT-Fault-ExceptionType"));
    }

    /// <summary>A MassTransit envelope names its type; the body itself is read for that and nothing else.</summary>
    static string? EnvelopeType(string payload)
    {
        try
        {
            using var json = JsonDocument.Parse(payload);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("messageType", out var types)
                && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0
                ? types[0].GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static BasicProperties WithoutFault(IReadOnlyBasicProperties original)
    {
        var properties = new BasicProperties(original);
        if (properties.Headers is { } headers)
        {
            // x-delivery-count too: a quorum queue counts the replayed copy afresh, and the delivery limit reads the header.
            foreach (var key in headers.Keys.Where(k => k.StartsWith("MT-Fault-", StringComparison.Ordinal) || k is "MT-Reason" or "x-delivery-count").ToList())
                headers.Remove(key);
        }
        return properties;
    }

    /// <summary>The queue as the operator knows it; <c>x_error</c> is accepted for <c>x</c>.</summary>
    static string QueueName(CliArguments args)
    {
        var queue = args.Word(2, "the queue's name (see `./trinity bus queues`)");
        return queue.EndsWith(ErrorSuffix, StringComparison.Ordinal) ? queue[..^ErrorSuffix.Length] : queue;
    }

    static BrokerManagement Management(CliSettings settings) => new(settings.ManagementUrl, settings.RabbitMqUser, settings.RabbitMqPassword);
}
