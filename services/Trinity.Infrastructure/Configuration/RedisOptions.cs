using System.ComponentModel.DataAnnotations;

namespace Trinity.Infrastructure.Configuration;

/// <summary>Section <c>Trinity:Redis</c>.</summary>
public sealed class RedisOptions
{
    public const string Section = "Trinity:Redis";

    [Required] public string Endpoint { get; set; } = "127.0.0.1:6379";

    [Required(ErrorMessage = "Trinity:Redis:Password is required (environment: Trinity__Redis__Password).")]
    public string Password { get; set; } = "";

    /// <summary>Prefix of every key; tests give each run its own so that runs never share a lease.</summary>
    [Required] public string KeyPrefix { get; set; } = "trinity:";
}
