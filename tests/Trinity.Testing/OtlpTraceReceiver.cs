using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;

namespace Trinity.Testing;

/// <summary>One span as a collector receives it: ids in hex, the service that sent it, its name and its string attributes.</summary>
public sealed record ReceivedSpan(string TraceId, string SpanId, string? ParentSpanId, string Name, string Service, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OpenTelemetry collector of the test's own on a loopback port: the services export to it over OTLP/HTTP
/// (protobuf) as they would to a real one, and it keeps every span and every raw request body (so a test can
/// look for a secret in what left the processes). The protobuf is read by hand: only the fields a test needs.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    readonly HttpListener _listener = new();
    readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    readonly ConcurrentQueue<byte[]> _bodies = new();
    readonly Task _serving;

    OtlpTraceReceiver(int port)
    {
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public static OtlpTraceReceiver Start() => new(FreePort.Next());

    public string Endpoint { get; }

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans.ToArray();
    public IReadOnlyCollection<byte[]> Bodies => _bodies.ToArray();

    /// <summary>What a service needs to export here promptly.</summary>
    public Dictionary<string, string?> ExporterEnvironment() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            // One bad request (cut short, not protobuf, not OTLP) is answered 400 and never stops the collector.
            using var response = context.Response;
            try
            {
                response.StatusCode = await ReceiveAsync(context.Request);
                response.ContentType = "application/x-protobuf";
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                response.StatusCode = 400;
            }
        }
    }

    async Task<int> ReceiveAsync(HttpListenerRequest request)
    {
        if (request.HttpMethod != "POST" || request.Url?.AbsolutePath != "/v1/traces")
            return 404;
        await using var input = request.Headers["Content-Encoding"] == "gzip" ? new GZipStream(request.InputStream, CompressionMode.Decompress) : request.InputStream;
        using var body = new MemoryStream();
        await input.CopyToAsync(body);
        _bodies.Enqueue(body.ToArray());
        foreach (var span in ReadExportRequest(body.ToArray()).ToList())
            _spans.Enqueue(span);
        return 200;
    }

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    static IEnumerable<ReceivedSpan> ReadExportRequest(byte[] request) =>
        Embedded(request, 1).SelectMany(ReadResourceSpans);

    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; } Resource { repeated KeyValue attributes = 1; }
    static IEnumerable<ReceivedSpan> ReadResourceSpans(byte[] resourceSpans)
    {
        var resource = Embedded(resourceSpans, 1).SelectMany(r => Attributes(r, 1)).ToDictionary();
        var service = resource.GetValueOrDefault("service.name", "unknown");
        // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
        return Embedded(resourceSpans, 2).SelectMany(scope => Embedded(scope, 2)).Select(span => ReadSpan(span, service));
    }

    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; repeated KeyValue attributes = 9; }
    static ReceivedSpan ReadSpan(byte[] span, string service)
    {
        var fields = Fields(span).ToList();
        byte[]? Field(int number) => fields.LastOrDefault(f => f.Number == number).Bytes;
        var parent = Field(4);
        return new ReceivedSpan(
            Convert.ToHexStringLower(Field(1) ?? throw new FormatException("A span without a trace id.")),
            Convert.ToHexStringLower(Field(2) ?? throw new FormatException("A span without a span id.")),
            parent is { Length: > 0 } ? Convert.ToHexStringLower(parent) : null,
            Encoding.UTF8.GetString(Field(5) ?? []),
            service,
            Attributes(span, 9).ToDictionary());
    }

    // KeyValue { string key = 1; AnyValue value = 2; } AnyValue { string string_value = 1; ... }: other value kinds are skipped.
    static IEnumerable<KeyValuePair<string, string>> Attributes(byte[] message, int field) =>
        Embedded(message, field).Select(Fields).Select(kv =>
        {
            var key = Encoding.UTF8.GetString(kv.FirstOrDefault(p => p.Number == 1).Bytes ?? []);
            var value = kv.FirstOrDefault(p => p.Number == 2).Bytes is { } any ? Embedded(any, 1).FirstOrDefault() : null;
            return new KeyValuePair<string, string>(key, value is null ? "" : Encoding.UTF8.GetString(value));
        }).DistinctBy(kv => kv.Key);

    /// <summary>The length-delimited fields numbered <paramref name="number"/>: embedded messages, strings or bytes.</summary>
    static IEnumerable<byte[]> Embedded(byte[] message, int number) => Fields(message).Where(f => f.Number == number).Select(f => f.Bytes).OfType<byte[]>();

    /// <summary>The fields of one protobuf message: length-delimited ones with their bytes, the rest with none.</summary>
    static List<(int Number, byte[]? Bytes)> Fields(byte[] message)
    {
        var position = 0;
        ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (position >= message.Length)
                    throw new FormatException("A truncated varint.");
                var b = message[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                    return value;
            }
            throw new FormatException("A varint longer than ten bytes.");
        }

        var fields = new List<(int Number, byte[]? Bytes)>();
        while (position < message.Length)
        {
            var tag = Varint();
            var number = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0: Varint(); fields.Add((number, null)); break;
                case 1: position += 8; fields.Add((number, null)); break;
                case 5: position += 4; fields.Add((number, null)); break;
                case 2:
                    var declared = Varint();
                    if (declared > (ulong)(message.Length - position))
                        throw new FormatException("A length past the end of the message.");
                    var length = (int)declared;
                    fields.Add((number, message[position..(position + length)]));
                    position += length;
                    break;
                default: throw new FormatException($"Wire type {tag & 7} is not one OTLP uses.");
            }
        }
        if (position > message.Length)
            throw new FormatException("A fixed-size field past the end of the message.");
        return fields;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
