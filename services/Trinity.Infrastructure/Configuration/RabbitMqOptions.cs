using System.ComponentModel.DataAnnotations;

namespace Trinity.Infrastructure.Configuration;

/// <summary>Section <c>Trinity:RabbitMq</c>. The password has no default: a service started without one refuses to start.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "Trinity:RabbitMq";

    [Required] public string Host { get; set; } = "127.0.0.1";
    [Range(1, 65535)] public int Port { get; set; } = 5672;
    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "trinity";
    [Required(ErrorMessage = "Trinity:RabbitMq:Password is required (environment: Trinity__RabbitMq__Password).")]
    public string Password { get; set; } = "";

    /// <summary>Every Trinity queue a quorum queue (see <c>Bus/QuorumQueues</c>). Off: classic queues, which count no deliveries and so have no limit.</summary>
    public bool QuorumQueues { get; set; } = true;

    /// <summary>How many deliveries of one message a consumer gets on a quorum queue; the next moves it to the endpoint's <c>_error</c> queue.</summary>
    [Range(1, 1000)] public int DeliveryLimit { get; set; } = 20;
}
