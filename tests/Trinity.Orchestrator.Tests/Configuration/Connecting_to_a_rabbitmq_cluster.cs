using System.ComponentModel.DataAnnotations;
using Trinity.Infrastructure.Configuration;

namespace Trinity.Orchestrator.Tests.Configuration;

public sealed class Connecting_to_a_rabbitmq_cluster
{
    [Fact]
    public void Without_nodes_a_service_connects_to_its_host_and_port()
    {
        var options = new RabbitMqOptions { Host = "10.0.0.7", Port = 5673, Password = "p" };
        Assert.Equal([("10.0.0.7", 5673)], options.Endpoints());
        Assert.Empty(Errors(options));
    }

    [Fact]
    public void With_nodes_it_connects_to_them_in_the_order_given()
    {
        var options = new RabbitMqOptions { Nodes = " 127.0.0.1:5701, rabbit-2:5702 ,rabbit-3:5703,", Password = "p" };
        Assert.Equal([("127.0.0.1", 5701), ("rabbit-2", 5702), ("rabbit-3", 5703)], options.Endpoints());
        Assert.Equal("127.0.0.1:5701, rabbit-2:5702, rabbit-3:5703", options.Describe());
        Assert.Empty(Errors(options));
    }

    [Theory]
    [InlineData("rabbit-1")]
    [InlineData("rabbit-1:")]
    [InlineData(":5672")]
    [InlineData("rabbit-1:0")]
    [InlineData("rabbit-1:65536")]
    [InlineData("rabbit-1:56x2")]
    [InlineData("::1:5672")]
    [InlineData("rabbit 1:5672")]
    public void A_node_that_is_not_host_and_port_refuses_the_start_and_names_the_node(string node)
    {
        var options = new RabbitMqOptions { Nodes = $"127.0.0.1:5672,{node}", Password = "p" };
        var error = Assert.Single(Errors(options));
        Assert.Contains($"\"{node}\"", error, StringComparison.Ordinal);
        Assert.Contains("Trinity:RabbitMq:Nodes", error, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => options.Endpoints());
    }

    [Theory]
    [InlineData(",")]
    [InlineData(" , ,")]
    public void Nodes_set_to_separators_alone_refuse_the_start_rather_than_fall_back_to_host_and_port(string nodes)
    {
        var error = Assert.Single(Errors(new RabbitMqOptions { Nodes = nodes, Password = "p" }));
        Assert.Contains("names no node", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_given_as_a_uri_with_credentials_is_refused_without_repeating_them()
    {
        var secret = Trinity.Testing.Canary.NewToken();
        var error = Assert.Single(Errors(new RabbitMqOptions { Nodes = $"amqp://trinity:{secret}@rabbit-1:5672", Password = "p" }));
        Assert.DoesNotContain(secret, error, StringComparison.Ordinal);
        Assert.Contains("'@'", error, StringComparison.Ordinal);
    }

    static List<string> Errors(RabbitMqOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage ?? "")];
    }
}
