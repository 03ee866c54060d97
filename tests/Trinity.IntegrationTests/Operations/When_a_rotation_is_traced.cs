using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Trinity.AgentProtocol;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Operations;

/// <summary>
/// One rotation is one trace: a failure reported to the API, recorded by the intake in a group, decided by the state
/// machine, carried out by the worker and reloaded by the agent server — four processes, each exporting over OTLP to
/// a collector of the test's own — and every span between the API call and the agent's reload is a descendant of the
/// one before. Two agents' reports arrive at the same moment, so the intake records them in one group and each must
/// still continue its own trace. The rotation history keeps the trace id, the log lines of the rotation carry it,
/// and no span holds a token.
/// </summary>
public sealed class When_a_rotation_is_traced(When_a_rotation_is_traced.Scenario scenario) : IClassFixture<When_a_rotation_is_traced.Scenario>
{
    const string Agent = "alpha";
    const string Neighbour = "beta";

    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public string TokenC { get; } = Canary.NewToken();
        public OtlpTraceReceiver Collector { get; private set; } = null!;
        public Rotation Rotation { get; private set; } = null!;
        public Rotation NeighbourRotation { get; private set; } = null!;
        public JsonElement RotationAnswer { get; private set; }

        /// <summary>From the API's request span down to the agent server's reload span, each the parent of the next.</summary>
        public List<ReceivedSpan> Chain { get; private set; } = [];
        public List<ReceivedSpan> NeighbourChain { get; private set; } = [];

        public Dictionary<string, ServiceProcess> Services { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Collector = Own(OtlpTraceReceiver.Start());
            var export = Collector.ExporterEnvironment();
            var a = await AddSubscriptionAsync("subscription-a", TokenA);
            await AddSubscriptionAsync("subscription-b", TokenB);
            var agents = new Dictionary<string, AgentServerProcess>();
            foreach (var name in new[] { Agent, Neighbour })
                agents[name] = await StartAgentServerAsync(name, TokenA, a.Id, export);
            Services["agent-server"] = agents[Agent].Process;
            Services["orchestrator"] = await StartOrchestratorAsync(extra: export);
            Services["rotation-worker"] = await StartRotationWorkerAsync(extra: export);
            var (apiProcess, api) = await StartApiAsync(export);
            Services["api"] = apiProcess;

            var reports = await Task.WhenAll(agents.Keys.Select(name =>
                api.PostAsJsonAsync("/api/failures", new { agentName = name, source = "chat", statusCode = 429, errorMessage = "429 rate_limit_error", subscriptionId = a.Id })));
            foreach (var accepted in reports)
                using (accepted)
                    accepted.EnsureSuccessStatusCode();
            foreach (var agent in agents.Values)
                await Eventually.Until(agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), $"{agent.Process.Name} to run subscription B");
            Rotation = await SucceededRotationAsync(Agent);
            NeighbourRotation = await SucceededRotationAsync(Neighbour);
            RotationAnswer = (await api.GetFromJsonAsync<JsonElement>($"/api/rotations?agent={Agent}")).EnumerateArray().Single(r => r.GetProperty("id").GetGuid() == Rotation.Id);
            Chain = await WholeChainAsync(Rotation);
            NeighbourChain = await WholeChainAsync(NeighbourRotation);
            await ReassignThroughAnApiThatDiesAfterTheCommitAsync(agents[Agent], export);
            // The token scan reads everything the services will ever export: they stop, and flush, first.
            await WaitUntilQuietAsync();
            foreach (var service in Services.Values.Append(agents[Neighbour].Process))
                await service.StopAsync();
        }

        /// <summary>The relay's span of a reassignment the API committed but died before sending.</summary>
        public ReceivedSpan? RelayedSend { get; private set; }
        public string CallerTraceId { get; } = ActivityTraceId.CreateRandom().ToHexString();
        public string CallerSpanId { get; } = ActivitySpanId.CreateRandom().ToHexString();
        public Rotation RelayedRotation { get; private set; } = null!;
        public bool WriterDiedAfterItsCommit { get; private set; }

        /// <summary>
        /// A caller with its own trace context asks an API to move the agent; the API commits the row and is killed
        /// before it sends it. The orchestrator's relay sends it once the API stops beating, and the rotation still
        /// belongs to the caller's trace.
        /// </summary>
        async Task ReassignThroughAnApiThatDiesAfterTheCommitAsync(AgentServerProcess agent, Dictionary<string, string?> export)
        {
            var c = await AddSubscriptionAsync("subscription-c", TokenC);
            var (dying, api) = await StartApiAsync(new Dictionary<string, string?>(export) { ["Trinity__FaultInjection__Points__reassignment-committed"] = "crash" }, name: "api-killed");
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/agents/{Agent}/subscription") { Content = JsonContent.Create(new { subscriptionId = c.Id }) };
            request.Headers.Add("traceparent", $"00-{CallerTraceId}-{CallerSpanId}-01");
            try
            {
                using var _ = await api.SendAsync(request);
            }
            catch (HttpRequestException)
            {
                // Killed before it answered, as asked.
            }
            await dying.WaitForExitAsync(TimeSpan.FromSeconds(30));
            WriterDiedAfterItsCommit = dying.ExitCode == 137 && FaultCell.Reached(dying, "reassignment-committed");
            await Eventually.Until(agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenC), "the relayed reassignment to reach the agent", TimeSpan.FromSeconds(60));
            RelayedRotation = await Eventually.Until(async () => (await RotationsAsync(Agent)).SingleOrDefault(r => r.Outcome == RotationOutcome.Succeeded && r.ToSubscriptionId == c.Id),
                rotation => rotation is not null, "the relayed reassignment to be recorded") ?? throw new InvalidOperationException();
            RelayedSend = await Eventually.Until(() => Task.FromResult(AboveTheReload(CallerTraceId).FirstOrDefault()), top => top is not null,
                "the relay's send to be the top of the reassignment's trace", TimeSpan.FromSeconds(30));
        }

        /// <summary>The spans from the agent's reload up to the highest one the collector holds in the trace, highest first.</summary>
        List<ReceivedSpan> AboveTheReload(string traceId)
        {
            var spans = Collector.Spans.Where(s => s.TraceId == traceId).ToList();
            var chain = new List<ReceivedSpan>();
            for (var span = spans.FirstOrDefault(s => s.Service == "agent-server" && s.Attributes.GetValueOrDefault("url.path") == AgentPaths.ReloadToken);
                 span is not null; span = spans.FirstOrDefault(s => s.SpanId == span.ParentSpanId))
                chain.Insert(0, span);
            return chain;
        }

        async Task<Rotation> SucceededRotationAsync(string agent)
        {
            var rotation = await Eventually.Until(async () => (await RotationsAsync(agent)).SingleOrDefault(r => r.Outcome == RotationOutcome.Succeeded),
                rotation => rotation is not null, $"{agent}'s rotation to be recorded as succeeded") ?? throw new InvalidOperationException();
            return rotation.TraceId is null ? throw new InvalidOperationException($"{agent}'s rotation {rotation.Id} was recorded without a trace id") : rotation;
        }

        /// <summary>Each service exports in its own batches: waits until the chain is whole, from the agent's reload up to a root.</summary>
        async Task<List<ReceivedSpan>> WholeChainAsync(Rotation rotation) =>
            await Eventually.Until(() => Task.FromResult(ChainToTheReload(rotation.TraceId)), chain => chain is not null,
                $"the collector to hold the whole chain from the API call to {rotation.AgentName}'s reload", TimeSpan.FromSeconds(30)) ?? [];

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
    public void The_rotation_is_one_trace_that_runs_from_the_api_call_through_the_intake_the_state_machine_and_the_worker_to_the_agents_reload() =>
        AssertWholeChain(scenario.Chain);

    [Fact]
    public void Two_reports_recorded_together_each_continue_their_own_trace()
    {
        AssertWholeChain(scenario.NeighbourChain);
        Assert.NotEqual(scenario.Rotation.TraceId, scenario.NeighbourRotation.TraceId);
        Assert.Equal(scenario.NeighbourRotation.TraceId, scenario.NeighbourChain[0].TraceId);
    }

    static void AssertWholeChain(List<ReceivedSpan> chain)
    {
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
    public void A_message_the_relay_sends_for_a_dead_writer_continues_the_writers_trace()
    {
        var send = scenario.RelayedSend!;
        Assert.Equal(("outbox send", scenario.CallerTraceId), (send.Name, scenario.RelayedRotation.TraceId));
        Assert.True(scenario.WriterDiedAfterItsCommit, "the API was to be killed after committing the reassignment, before sending it");
        Assert.Equal(scenario.CallerTraceId, send.TraceId);
        // Its parent is the dead API's request span, which never ended and so never left: the caller's span is its grandparent.
        Assert.NotNull(send.ParentSpanId);
        Assert.DoesNotContain(scenario.Collector.Spans, s => s.SpanId == send.ParentSpanId);
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
        foreach (var token in new[] { scenario.TokenA, scenario.TokenB, scenario.TokenC })
            Assert.DoesNotContain(bodies, body => Encoding.UTF8.GetString(body).Contains(token, StringComparison.Ordinal));
    }
}
