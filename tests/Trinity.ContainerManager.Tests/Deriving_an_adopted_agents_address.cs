using Docker.DotNet.Models;
using Newtonsoft.Json;
using Trinity.ContainerManager.Services;

namespace Trinity.ContainerManager.Tests;

/// <summary>
/// Where an adopted container's agent answers, from what <c>docker inspect</c> says of it (recorded from a container of
/// <c>trinity/agent:reference</c>; the Docker-network one is that record with its network changed, as no Docker network
/// can run on this machine).
/// </summary>
public sealed class Deriving_an_adopted_agents_address
{
    static ContainerInspectResponse Recorded(string name) =>
        JsonConvert.DeserializeObject<ContainerInspectResponse>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recorded", $"{name}.json")))!;

    static (string? BaseUrl, string? Problem) Derive(ContainerInspectResponse container) =>
        AdoptableContainers.BaseUrlOf(container, AdoptableContainers.Environment(container));

    [Fact]
    public void On_the_host_network_it_is_the_agents_own_loopback_port()
    {
        Assert.Equal(("http://127.0.0.1:18999", null as string), Derive(Recorded("inspect-host-network")));
    }

    [Fact]
    public void On_the_host_network_without_agent_port_it_is_the_port_of_aspnetcore_urls()
    {
        var container = Recorded("inspect-host-network");
        container.Config.Env = [.. container.Config.Env.Where(e => !e.StartsWith("AGENT_PORT=", StringComparison.Ordinal))
            .Select(e => e.StartsWith("ASPNETCORE_URLS=", StringComparison.Ordinal) ? "ASPNETCORE_URLS=http://127.0.0.1:18042" : e)];
        Assert.Equal(("http://127.0.0.1:18042", null as string), Derive(container));
    }

    [Fact]
    public void On_a_docker_network_it_is_the_container_name_on_port_8000()
    {
        Assert.Equal(("http://agent-recorded:8000", null as string), Derive(Recorded("inspect-docker-network")));
    }

    [Theory]
    [InlineData("bridge")]
    [InlineData("default")]
    [InlineData("none")]
    [InlineData("container:0123456789ab")]
    public void On_the_default_bridge_or_no_network_it_cannot_be_reached_by_name(string mode)
    {
        var container = Recorded("inspect-docker-network");
        container.HostConfig.NetworkMode = mode;
        var (baseUrl, problem) = Derive(container);
        Assert.Null(baseUrl);
        Assert.Contains("cannot be reached by name", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_is_read_as_the_container_sets_it()
    {
        var environment = AdoptableContainers.Environment(Recorded("inspect-host-network"));
        Assert.Equal(("recorded-placeholder-not-a-token", "18999"), (environment["CLAUDE_CODE_OAUTH_TOKEN"], environment["AGENT_PORT"]));
    }
}
