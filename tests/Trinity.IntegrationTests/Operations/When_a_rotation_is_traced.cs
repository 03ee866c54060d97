using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Trinity.AgentProtocol;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// One rotation is one trace: a failure reported to the API, recorded by the intake in a group, decided by the state
/// machine, carried out by the worker and reloaded by the agent server — four processes, each exporting over OTLP to
/// a collector of the test's own — and every span between the API call and the agent's reload is a descendant of the
/// one before. The rotation history keeps the trace id, the log lines of the rotation carry it, and no span holds a token.
/// </summary>
public sealed class When_a_rotation_is_traced(When_a_rotation_is_traced.Scenario scenario) : IClassFixture<When_a_rotation_is_traced.Scenario>
{
    const string Agent = "alpha";

    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public OtlpTraceReceiver Collector { get; private set; } = null!;
        public Rotation Rotation { get; private set; } = null!;
        public JsonElement RotationAnswer { get; private set; }

        /// <summary>From the API's request span down to the agent server's reload span, each the parent of the next.</summary>
        public List<ReceivedSpan> Chain { get; private set; } = [];

        public Dictionary<string, ServiceProcess> Services { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Collector = Own(OtlpTraceReceiver.Start());
            var export = Collector.ExporterEnvironment();
            var a = await AddSubscriptionAsync("subscription-a", TokenA);
            await AddSubscriptionAsync("subscription-b", TokenB);
            var agent = await StartAgentServerAsync(Agent, TokenA, a.Id, export);
            Services["agent-server"] = agent.Process;
            Services["orchestrator"] = await StartOrchestratorAsync(extra: export);
            Services["rotation-worker"] = await StartRotationWorkerAsync(extra: export);
            var (apiProcess, api) = await StartApiAsync(export);
            Services["api"] = apiProcess;

            using var accepted = await api.PostAsJsonAsync("/api/failures", new { agentName = Agent, source = "chat", statusCode = 429, errorMessage = "429 rate_limit_error", subscriptionId = a.Id });
            accepted.EnsureSuccessStatusCode();
            await Eventually.Until(agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), "the agent to run subscription B");
            Rotation = await Eventually.Until(async () => (await RotationsAsync(Agent)).SingleOrDefault(r => r.Outcome == RotationOutcome.Succeeded),
                rotation => rotation is not null, "the rotation to be recorded as succeeded") ?? throw new InvalidOperationException();
            RotationAnswer = (await api.GetFromJsonAsync<JsonElement>($"/api/rotations?agent={Agent}")).EnumerateArray().Single(r => r.GetProperty("id").GetGuid() == Rotation.Id);
            // Each service exports in its own batches: wait until the chain is whole, from the agent's reload up to a root.
            Chain = await Eventually.Until(() => Task.FromResult(ChainToTheReload(Rotation.TraceId)), chain => chain is not null,
                "the collector to hold the whole chain from the API call to the agent's reload", TimeSpan.FromSeconds(30)) ?? [];
        }

        List<ReceivedSpan>? ChainToTheReload(string? traceId)
        {
            var spans = Collector.Spans.Where(s => s.TraceId == traceId).ToList();
            var reload = spans.FirstOrDefault(s => s.Service == "agent-server" && s.Attributes.GetValueOrDefault("url.path") == AgentPaths.ReloadToken);
            var chain = new List<ReceivedSpan>();
            for (var span = reload; span is not null; span = span.ParentSpanId is null ? null : spans.FirstOrDefault(s => s.SpanId == span.ParentSpanId))
            {
                chain.Insert(0, span);
                if (span.ParentSpanId is null)
                    return chain;
            }
            return null;
        }
    }

    static bool Mentions(ReceivedSpan span, string text) => span.Name.Contains(text, StringComparison.Ordinal) || span.Attributes.Values.Any(v => v.Contains(text, StringComparison.Ordinal));

    [Fact]
    public void The_rotation_is_one_trace_that_runs_from_the_api_call_through_the_intake_the_state_machine_and_the_worker_to_the_agents_reload()
    {
        var chain = scenario.Chain;
        Assert.NotEmpty(chain);
        var services = chain.Select(s => s.Service).Aggregate(new List<string>(), (seen, service) =>
        {
            if (seen.Count == 0 || seen[^1] != service)
                seen.Add(service);
            return seen;
        });
        Assert.Equal(["api", "orchestrator", "rotation-worker", "agent-server"], services);
        Assert.Equal(AgentPaths.ReloadToken, chain[^1].Attributes["url.path"]);
        Assert.Equal("/api/failures", chain[0].Attributes.GetValueOrDefault("url.path"));
        var intake = chain.FindIndex(s => s.Service == "orchestrator" && Mentions(s, EntityNames.Queues.FailureIntake));
        var stateMachine = chain.FindIndex(s => s.Service == "orchestrator" && Mentions(s, EntityNames.Queues.AgentCredentials));
        var worker = chain.FindIndex(s => s.Service == "rotation-worker" && Mentions(s, EntityNames.Queues.RotationWorker));
        Assert.True(intake >= 0 && stateMachine > intake && worker > stateMachine,
            $"intake {intake}, state machine {stateMachine}, worker {worker} in: {string.Join(" > ", chain.Select(s => $"{s.Service}:{s.Name}"))}");
    }

    [Fact]
    public void The_rotation_history_and_the_api_answer_keep_the_trace_id()
    {
        Assert.Matches("^[0-9a-f]{32}$", scenario.Rotation.TraceId);
        Assert.Equal(scenario.Chain[0].TraceId, scenario.Rotation.TraceId);
        Assert.Equal(scenario.Rotation.TraceId, scenario.RotationAnswer.GetProperty("traceId").GetString());
    }

    [Fact]
    public void Every_log_line_about_the_rotation_carries_its_trace_id()
    {
        var id = scenario.Rotation.Id.ToString();
        var lines = scenario.Services.Where(s => s.Key is "orchestrator" or "rotation-worker").SelectMany(s => s.Value.Output)
            .Where(line => line.StartsWith('{') && line.Contains(id, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Equal(scenario.Rotation.TraceId, JsonDocument.Parse(line).RootElement.TryGetProperty("@tr", out var trace) ? trace.GetString() : null));
        Assert.Contains(scenario.Services["agent-server"].Output, line => line.Contains($"\"@tr\":\"{scenario.Rotation.TraceId}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void No_span_the_services_export_holds_a_token()
    {
        var bodies = scenario.Collector.Bodies;
        Assert.NotEmpty(bodies);
        foreach (var token in new[] { scenario.TokenA, scenario.TokenB })
            Assert.DoesNotContain(bodies, body => Encoding.UTF8.GetString(body).Contains(token, StringComparison.Ordinal));
    }
}
