using Trinity.Infrastructure.AgentNetwork;
using Trinity.Infrastructure.Placement;
using Trinity.Messaging.Contracts;

namespace Trinity.Contracts.Tests;

public sealed class Docker_hosts
{
    static readonly string[] HostsNamedLikeQueueSuffixes = ["a", "starts", "reads", "removals", "host", "a-starts"];

    [Fact]
    public void Are_listed_as_name_and_address_and_the_first_is_where_an_agent_goes_by_default()
    {
        var hosts = new DockerHosts(" north=127.0.0.1 , south=127.0.0.2,east=docker-east.internal");
        Assert.Equal(["north", "south", "east"], hosts.All.Select(h => h.Name));
        Assert.Equal(new DockerHost("north", "127.0.0.1"), hosts.Default);
        Assert.Equal("127.0.0.2", hosts.Find(" South ")?.Address);
        Assert.Null(hosts.Find("west"));
        Assert.Contains("No Docker host 'west' in Trinity:DockerHosts (north, south, east)", hosts.Unknown("west"), StringComparison.Ordinal);
    }

    [Fact]
    public void One_machine_is_local_on_loopback() => Assert.Equal(new DockerHost("local", "127.0.0.1"), new DockerHosts(new DockerHostsOptions().DockerHosts).Default);

    [Theory]
    [InlineData("", "names no Docker host")]
    [InlineData("north", "is not name=address")]
    [InlineData("North.x=127.0.0.1", "is not name=address")]
    [InlineData("1st=127.0.0.1", "is not name=address")]
    [InlineData("north-=127.0.0.1", "is not name=address")]
    [InlineData("a23456789012345678901234567890123=127.0.0.1", "is not name=address")]
    [InlineData("north=not an address", "neither an IP address nor a host name")]
    [InlineData("north=127.0.0.1,north=127.0.0.2", "names host north twice")]
    [InlineData("north=127.0.0.1,south=127.0.0.1", "hosts north and south have one address")]
    public void That_do_not_parse_are_refused_with_the_entry_and_the_reason(string list, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => new DockerHosts(list)).Message, StringComparison.Ordinal);

    [Fact]
    public void Have_queues_of_their_own_that_no_other_hosts_queue_or_a_fixed_queue_can_be()
    {
        var names = HostsNamedLikeQueueSuffixes
            .SelectMany(EntityNames.Queues.ContainerManagerQueuesOf)
            .Append(EntityNames.Queues.RotationWorker).Append(EntityNames.Queues.FailureIntake).Append(EntityNames.Queues.AgentCredentials)
            .Append(EntityNames.Queues.SubscriptionChanges).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("trinity.container-manager.host.a.starts", EntityNames.Queues.ContainerStartsOf("a"));
    }

    [Fact]
    public void Give_a_host_networked_agent_its_hosts_address_at_the_same_port() =>
        Assert.Equal("http://127.0.0.2:18004", DockerHosts.OnHost("http://127.0.0.1:18004", new DockerHost("south", "127.0.0.2")));

    [Fact]
    public void Are_where_agents_may_be_besides_the_allowed_networks()
    {
        var addresses = new AgentAddresses(new AgentNetworkOptions { AllowedHosts = "localhost", AllowedNetworks = "127.0.0.0/8" },
            new DockerHosts("local=127.0.0.1,rack-2=10.20.0.7,rack-3=docker-3.internal"));
        Assert.Null(addresses.WhyRefused("http://10.20.0.7:18000"));
        Assert.Null(addresses.WhyRefused("http://docker-3.internal:18000"));
        Assert.NotNull(addresses.WhyRefused("http://10.20.0.8:18000"));
        Assert.NotNull(addresses.WhyRefused("http://docker-4.internal:18000"));
    }
}
