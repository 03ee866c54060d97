namespace Trinity.AgentServer.Tests.Containers;

/// <summary>Suites that drive the Docker engine run one at a time: on 2 cores, parallel container starts only add noise.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DockerCollection
{
    public const string Name = "docker";
}
