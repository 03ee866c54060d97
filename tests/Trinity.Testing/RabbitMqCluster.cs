using System.Security.Cryptography;

namespace Trinity.Testing;

/// <summary>
/// Three <see cref="RabbitMqNode"/>s of a test's own, clustered on loopback: their own node names, AMQP, management
/// and Erlang distribution ports, data directories and one user with a fresh password. Services are given every
/// node (<c>Trinity:RabbitMq:Nodes</c>), so a test can stop the node that leads a quorum queue and start it again
/// without touching the shared node. Removed at the end.
/// </summary>
public sealed class RabbitMqCluster : IAsyncDisposable
{
    RabbitMqCluster(IReadOnlyList<RabbitMqNode> nodes)
    {
        Nodes = nodes;
        var first = nodes[0].Access;
        Access = first with { ClusterPorts = [.. nodes.Select(n => n.Access.Port)] };
    }

    public IReadOnlyList<RabbitMqNode> Nodes { get; }

    /// <summary>The first node's ports (for the management API) and the AMQP ports of all three.</summary>
    public BrokerAccess Access { get; }

    public static async Task<RabbitMqCluster> StartAsync(string logDirectory, int size = 3)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var nodes = new List<RabbitMqNode>();
        try
        {
            for (var i = 0; i < size; i++)
                nodes.Add(await RabbitMqNode.StartAsync(logDirectory, "trinity-test", password));
            foreach (var node in nodes.Skip(1))
                await node.JoinAsync(nodes[0]);
            using var management = new RabbitMqManagement(nodes[0].Access);
            await Eventually.Until(async () => (await management.NodesAsync()).Count(n => n.Value) == size,
                $"{size} nodes running in the cluster", TimeSpan.FromSeconds(60));
            return new RabbitMqCluster(nodes);
        }
        catch
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
            throw;
        }
    }

    public RabbitMqNode Node(string nodeName) =>
        Nodes.SingleOrDefault(n => n.NodeName == nodeName) ?? throw new InvalidOperationException($"{nodeName} is not a node of this cluster.");

    public async ValueTask DisposeAsync()
    {
        var failures = new List<Exception>();
        foreach (var node in Nodes.Reverse())
        {
            try
            {
                await node.DisposeAsync();
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
        }
        if (failures.Count > 0)
            throw new AggregateException("Removing the cluster's nodes failed", failures);
    }
}
