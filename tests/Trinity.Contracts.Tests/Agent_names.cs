using Trinity.Messaging.Contracts.Identity;

namespace Trinity.Contracts.Tests;

public sealed class Agent_names
{
    [Theory]
    [InlineData("alpha", "alpha")]
    [InlineData("  Alpha-01 ", "alpha-01")]
    [InlineData("a", "a")]
    public void Are_normalised_to_lower_case_dns_labels(string given, string expected) =>
        Assert.Equal(expected, AgentName.Normalize(given));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("-alpha", "hyphen")]
    [InlineData("alpha-", "hyphen")]
    [InlineData("al_pha", "only lower-case letters, digits and hyphens")]
    [InlineData("alpha.beta", "only lower-case letters, digits and hyphens")]
    [InlineData("alpha;DROP TABLE agents", "only lower-case letters, digits and hyphens")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234", "longer than 63")]
    public void Are_refused_with_a_message_that_says_why(string given, string reason)
    {
        var error = Assert.Throws<InvalidAgentNameException>(() => AgentName.Normalize(given));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Contains("DNS label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_name_is_refused() => Assert.Throws<InvalidAgentNameException>(() => AgentName.Normalize(null));
}
