namespace Trinity.Infrastructure.AgentNetwork;

/// <summary>
/// Where agent servers may be: every call that carries a token or a control key goes only there. Containers use host
/// networking, so by default that is this machine's loopback; an operator whose agents run on other machines lists
/// their network here (<c>Trinity:AgentNetwork</c>).
/// </summary>
public sealed class AgentNetworkOptions
{
    public const string Section = "Trinity:AgentNetwork";

    /// <summary>
    /// Host names a base URL may give, comma-separated; <c>agent-*</c> allows every single-label name with that
    /// prefix (the default matches <c>Trinity:Api:AgentBaseUrl</c>'s default, <c>agent-{name}</c>). IP literals are
    /// judged by <see cref="AllowedNetworks"/>, and so is every name once it is resolved.
    /// </summary>
    public string AllowedHosts { get; set; } = "localhost,agent-*";

    /// <summary>The networks an agent's address must be in, as CIDR blocks, comma-separated; checked again on every connection.</summary>
    public string AllowedNetworks { get; set; } = "127.0.0.0/8,::1/128";
}
