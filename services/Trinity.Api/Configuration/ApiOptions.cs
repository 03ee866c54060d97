using System.ComponentModel.DataAnnotations;

namespace Trinity.Api.Configuration;

/// <summary>Section <c>Trinity:Api</c>.</summary>
public sealed class ApiOptions
{
    public const string Section = "Trinity:Api";

    /// <summary>Required on every route but health (<c>Authorization: Bearer …</c>); no default.</summary>
    [Required(ErrorMessage = "Trinity:Api:AdminKey is required (environment: Trinity__Api__AdminKey), at least 16 characters.")]
    [MinLength(16, ErrorMessage = "Trinity:Api:AdminKey must have at least 16 characters.")]
    public string AdminKey { get; set; } = "";

    /// <summary>
    /// Where a registered agent's server listens, unless the registration names it: <c>{name}</c> is the
    /// agent's name, <c>{host}</c> the address of its Docker host (<c>Trinity:DockerHosts</c>), <c>{port}</c> the
    /// lowest port of <see cref="AgentPorts"/> no agent has, on any host. On a Compose network,
    /// <c>http://agent-{name}:8000</c>; with host networking, <c>http://{host}:{port}</c>.
    /// </summary>
    public string AgentBaseUrl { get; set; } = "http://agent-{name}:8000";

    /// <summary>The ports <c>{port}</c> is chosen from, as <c>first-last</c>.</summary>
    [RegularExpression(@"^\d{1,5}-\d{1,5}$", ErrorMessage = "Trinity:Api:AgentPorts is a range such as 18000-18999.")]
    public string AgentPorts { get; set; } = "18000-18999";

    /// <summary>
    /// The model API a new key is tried against before it is stored (a rollover, a new subscription), such as
    /// <c>https://api.anthropic.com</c>; empty, the default: no check. Only a 401 or 403 refuses the key (422).
    /// </summary>
    public string? KeyCheckUrl { get; set; }

    /// <summary>The model the check asks for one output token of.</summary>
    public string KeyCheckModel { get; set; } = "claude-haiku-4-5";

    /// <summary>How long a move to another Docker host lets the agent's turns end before its container is stopped.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
