using Trinity.Messaging.Contracts.Identity;

namespace Trinity.Contracts.Tests;

public sealed class Agent_identity
{
    [Fact]
    public void Is_a_version_5_uuid_as_the_rfc_computes_it() =>
        // RFC 9562's example: the DNS namespace and "www.example.com".
        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"),
            AgentIdentity.NameBased(new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "www.example.com"));

    [Fact]
    public void Is_the_same_for_every_spelling_of_one_agent() =>
        Assert.Equal(AgentIdentity.For("alpha"), AgentIdentity.For(" ALPHA "));

    [Fact]
    public void Differs_between_agents() =>
        Assert.NotEqual(AgentIdentity.For("alpha"), AgentIdentity.For("beta"));

    [Fact]
    public void Never_changes_its_namespace() =>
        // Every stored saga instance is keyed under it: changing it orphans them all.
        Assert.Equal(new Guid("6f3b9a52-0c1e-4d8a-9a57-2b7e4c1d9e10"), AgentIdentity.Namespace);

    [Fact]
    public void Refuses_a_bad_name() => Assert.Throws<InvalidAgentNameException>(() => AgentIdentity.For("not a name"));
}
