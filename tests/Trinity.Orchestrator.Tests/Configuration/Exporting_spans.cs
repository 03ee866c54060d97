using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Trinity.Hosting.Logging;
using Trinity.Hosting.Tracing;
using Trinity.Testing;

namespace Trinity.Orchestrator.Tests.Configuration;

/// <summary>What leaves a service for a collector: spans without secrets, to a collector named in full.</summary>
public sealed class Exporting_spans : IDisposable
{
    readonly ActivitySource _source = new("Exporting_spans." + Guid.NewGuid().ToString("N"));
    readonly List<Activity> _exported = [];
    readonly TracerProvider _provider;
    readonly string _token = Canary.NewToken();

    public Exporting_spans() =>
        _provider = Sdk.CreateTracerProviderBuilder().AddSource(_source.Name)
            .AddProcessor(new SecretFreeSpans())
            .AddProcessor(new SimpleActivityExportProcessor(new Collecting(_exported)))
            .Build()!;

    [Fact]
    public void A_span_whose_recorded_exception_holds_a_token_is_not_exported_and_a_clean_one_is()
    {
        using (var faulted = _source.StartActivity("consume")!)
            faulted.AddException(new InvalidOperationException($"the agent answered: bearer {_token}"));
        using (var clean = _source.StartActivity("consume")!)
            clean.AddException(new InvalidOperationException("the agent answered 503"));

        var exported = Assert.Single(_exported);
        Assert.Equal("the agent answered 503", exported.Events.Single().Tags.Single(t => t.Key == "exception.message").Value);
    }

    [Fact]
    public void A_registered_secret_in_a_status_or_an_attribute_leaves_masked()
    {
        var registered = "registered-" + Guid.NewGuid().ToString("N");
        SecretRedaction.Register(registered);
        using (var span = _source.StartActivity("reload")!)
        {
            span.SetTag("agent.answer", $"refused {registered}");
            span.SetTag("token.shaped", _token);
            span.SetTag("attempt", 2);
            span.SetStatus(ActivityStatusCode.Error, $"failed with {_token}");
        }

        var exported = Assert.Single(_exported);
        Assert.Equal($"refused {SecretRedaction.Mask}", exported.GetTagItem("agent.answer"));
        Assert.DoesNotContain(_token, (string)exported.GetTagItem("token.shaped")!, StringComparison.Ordinal);
        Assert.Equal(2, exported.GetTagItem("attempt"));
        Assert.Equal((ActivityStatusCode.Error, $"failed with {SecretRedaction.Mask}"), (exported.Status, exported.StatusDescription));
    }

    [Theory]
    [InlineData(TracingRegistration.OtlpEndpointVariable, "127.0.0.1:4318")]
    [InlineData(TracingRegistration.OtlpEndpointVariable, "http://10.0.0.5:4318")]
    [InlineData(TracingRegistration.OtlpEndpointVariable, "ftp://127.0.0.1:4318")]
    [InlineData(TracingRegistration.OtlpTracesEndpointVariable, "collector:4318/v1/traces")]
    public void A_collector_named_in_part_or_over_plain_http_across_the_network_stops_the_start(string variable, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => BuilderWith(variable, value).AddTrinityTracing("test"));
        Assert.Contains(variable, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4318")]
    [InlineData("http://localhost:4318")]
    [InlineData("https://collector.example:4318")]
    public void A_collector_on_this_machine_or_behind_https_is_accepted(string value) =>
        BuilderWith(TracingRegistration.OtlpEndpointVariable, value).AddTrinityTracing("test");

    static HostApplicationBuilder BuilderWith(string variable, string value)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new(variable, value)]);
        return builder;
    }

    public void Dispose()
    {
        _provider.Dispose();
        _source.Dispose();
    }

    sealed class Collecting(List<Activity> into) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var activity in batch)
                into.Add(activity);
            return ExportResult.Success;
        }
    }
}
