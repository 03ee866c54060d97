namespace Trinity.IntegrationTests.Cluster;

/// <summary>Suites on a RabbitMQ cluster of their own run alone: three Erlang nodes beside the services fill 2 cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "rabbitmq cluster";
}
