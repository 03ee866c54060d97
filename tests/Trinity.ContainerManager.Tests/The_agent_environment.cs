using Trinity.ContainerManager.Services;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.ContainerManager.Tests;

/// <summary>
/// The auth variables a recreated container gets, per mode (the CLI prefers the API key, so the two never coexist),
/// and the agent's current fence, which replaces the one the old container was given.
/// </summary>
public sealed class The_agent_environment
{
    static readonly string[] Baked =
    [
        "ASPNETCORE_URLS=http://127.0.0.1:18000",
        "CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-old",
        "ANTHROPIC_API_KEY=sk-ant-api03-old",
        "TRINITY_AGENT_CONTROL_KEY=old-control-key-0123456789",
        "TRINITY_AGENT_FENCE=3",
        "Trinity__Agent__Turns__Command=/app/fake-claude",
    ];

    static Agent Agent(Guid? subscription, bool useApiKey) => new() { Name = "alpha", SubscriptionId = subscription, UseApiKey = useApiKey, FencingToken = 7 };

    [Fact]
    public void Subscription_mode_sets_the_token_and_removes_the_api_key() =>
        Assert.Equal(
            ["ASPNETCORE_URLS=http://127.0.0.1:18000", "Trinity__Agent__Turns__Command=/app/fake-claude", "TRINITY_AGENT_CONTROL_KEY=new-key", "TRINITY_AGENT_FENCE=7", "CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-new"],
            AgentEnvironment.Rewrite(Baked, Agent(Guid.NewGuid(), useApiKey: true), "sk-ant-oat01-new", "sk-ant-api03-platform", "new-key"));

    [Fact]
    public void Api_key_mode_sets_the_key_and_removes_the_token() =>
        Assert.Equal(
            ["ASPNETCORE_URLS=http://127.0.0.1:18000", "Trinity__Agent__Turns__Command=/app/fake-claude", "TRINITY_AGENT_CONTROL_KEY=new-key", "TRINITY_AGENT_FENCE=7", "ANTHROPIC_API_KEY=sk-ant-api03-platform"],
            AgentEnvironment.Rewrite(Baked, Agent(null, useApiKey: true), token: null, "sk-ant-api03-platform", "new-key"));

    [Fact]
    public void Neither_removes_both() =>
        Assert.Equal(
            ["ASPNETCORE_URLS=http://127.0.0.1:18000", "Trinity__Agent__Turns__Command=/app/fake-claude", "TRINITY_AGENT_CONTROL_KEY=new-key", "TRINITY_AGENT_FENCE=7"],
            AgentEnvironment.Rewrite(Baked, Agent(null, useApiKey: false), token: null, "sk-ant-api03-platform", "new-key"));

    [Fact]
    public void A_subscription_whose_token_is_gone_gets_neither() =>
        Assert.DoesNotContain(AgentEnvironment.Rewrite(Baked, Agent(Guid.NewGuid(), useApiKey: false), token: null, null, "new-key"),
            e => e.StartsWith("CLAUDE_CODE_OAUTH_TOKEN=", StringComparison.Ordinal) || e.StartsWith("ANTHROPIC_API_KEY=", StringComparison.Ordinal));

    [Fact]
    public void Api_key_mode_without_a_configured_key_is_refused_with_a_clear_message()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AgentEnvironment.Rewrite(Baked, Agent(null, useApiKey: true), null, null, "new-key"));
        Assert.Contains("Trinity:ContainerManager:PlatformApiKey", error.Message, StringComparison.Ordinal);
    }
}
