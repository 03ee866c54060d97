using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Trinity.Infrastructure.Configuration;

/// <summary>Section <c>Trinity:RabbitMq</c>. The password has no default: a service started without one refuses to start.</summary>
public sealed class RabbitMqOptions : IValidatableObject
{
    public const string Section = "Trinity:RabbitMq";

    [Required] public string Host { get; set; } = "127.0.0.1";
    [Range(1, 65535)] public int Port { get; set; } = 5672;
    /// <summary>
    /// The nodes of a RabbitMQ cluster, <c>host:port</c> separated by commas (<c>10.0.0.1:5672,10.0.0.2:5672</c>). When
    /// set, the bus connects to the first and, each time its connection is lost, tries the next in turn;
    /// <see cref="Host"/> then only names the bus in addresses and logs, and <see cref="Port"/> is not used (docs/deployment.md).
    /// </summary>
    public string Nodes { get; set; } = "";

    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "trinity";
    [Required(ErrorMessage = "Trinity:RabbitMq:Password is required (environment: Trinity__RabbitMq__Password).")]
    public string Password { get; set; } = "";

    /// <summary>Every Trinity queue a quorum queue (see <c>Bus/QuorumQueues</c>). Off: classic queues, which count no deliveries and so have no limit.</summary>
    public bool QuorumQueues { get; set; } = true;

    /// <summary>How many deliveries of one message a consumer gets on a quorum queue; the next moves it to the endpoint's <c>_error</c> queue.</summary>
    [Range(1, 1000)] public int DeliveryLimit { get; set; } = 20;

    /// <summary>Where to connect: every node of <see cref="Nodes"/> in order, or <see cref="Host"/>:<see cref="Port"/>.</summary>
    public IReadOnlyList<(string Host, int Port)> Endpoints() =>
        string.IsNullOrWhiteSpace(Nodes)
            ? [(Host, Port)]
            : [.. NodeList().Select(node => TryParseNode(node, out var endpoint) ? endpoint : throw new FormatException(NotANode(node)))];

    /// <summary>The endpoints, for a log line or an error.</summary>
    public string Describe() => string.Join(", ", Endpoints().Select(e => $"{e.Host}:{e.Port}"));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Set, but to separators alone: refused, rather than falling back to Host:Port, which may be another broker.
        if (!string.IsNullOrWhiteSpace(Nodes) && NodeList().Length == 0)
            yield return new ValidationResult("Trinity:RabbitMq:Nodes names no node: give host:port of each, separated by commas, or leave it empty.", [nameof(Nodes)]);
        foreach (var node in NodeList().Where(node => !TryParseNode(node, out _)))
            yield return new ValidationResult(NotANode(node), [nameof(Nodes)]);
    }

    string[] NodeList() => Nodes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    static bool TryParseNode(string node, out (string Host, int Port) endpoint)
    {
        var colon = node.IndexOf(':');
        if (colon > 0 && colon == node.LastIndexOf(':') && Uri.CheckHostName(node[..colon]) is UriHostNameType.Dns or UriHostNameType.IPv4
            && int.TryParse(node[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
        {
            endpoint = (node[..colon], port);
            return true;
        }
        endpoint = default;
        return false;
    }

    // An entry with credentials in it (amqp://user:password@host) is not repeated.
    static string NotANode(string node) =>
        $"Trinity:RabbitMq:Nodes: {(node.Contains('@', StringComparison.Ordinal) ? "an entry with '@' in it" : $"\"{node}\"")} is not host:port "
        + "(a name or an IPv4 address, and a port from 1 to 65535; no user or password: those are Username and Password).";
}
