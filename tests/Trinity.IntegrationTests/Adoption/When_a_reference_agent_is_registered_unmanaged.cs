using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Adoption;

/// <summary>
/// <c>legacy1</c> is the reference platform's agent endpoint, implemented again in Python's standard library
/// (<c>tests/reference-agent</c>): no key, no fence, no fingerprint in its answer. An operator registers it as a new
/// user would, with its base URL; it already answers there, so it is registered unmanaged — no container is started
/// for it. A failure report, a manual reassignment and a key rollover each hot-reload it with the reference body, each
/// rotation succeeds as <c>acknowledged</c>, and the agent stays in sync: no further rotation over two reconcile passes.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_a_reference_agent_is_registered_unmanaged(When_a_reference_agent_is_registered_unmanaged.Scenario scenario)
    : IClassFixture<When_a_reference_agent_is_registered_unmanaged.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "legacy1";
        public static readonly TimeSpan ReconcileInterval = TimeSpan.FromSeconds(2);
        public string TokenA { get; } = Canary.NewToken();
        public string TokenA2 { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public ReferenceAgentProcess Reference { get; private set; } = null!;
        public JsonElement Registered { get; private set; }
        public JsonElement Shown { get; private set; }
        public JsonElement[] RotationsShown { get; private set; } = [];
        public IReadOnlyList<ReceivedReload> Received { get; private set; } = [];
        public List<Rotation> Rotations { get; private set; } = [];
        public int RotationsAfterQuiet { get; private set; }
        public bool ContainerExists { get; private set; }
        public Dictionary<string, (HttpStatusCode Status, string Body)> Refusals { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Reference = Own(await ReferenceAgentProcess.StartAsync(Agent, TokenA, LogDirectory));
            await StartObserverAsync();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?> { ["Trinity__Orchestrator__ReconcileInterval"] = "00:00:02" });
            await StartRotationWorkerAsync();
            await StartContainerManagerAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__ContainerManager__ContainerNamePrefix"] = $"trinity-test-{RunId}-",
                [$"Trinity__ContainerManager__Labels__{AgentContainers.TestRunLabel}"] = RunId,
            });
            var (_, api) = await StartApiAsync();
            var a = await api.UpsertSubscriptionAsync("subscription-a", TokenA);
            var b = await api.UpsertSubscriptionAsync("subscription-b", TokenB);

            using (var registered = await api.PostAsJsonAsync("/api/agents", new { name = Agent, subscriptionId = a, baseUrl = Reference.BaseUrl }))
            {
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
                Registered = await registered.Content.ReadFromJsonAsync<JsonElement>();
            }

            // What is not registered, and why: a second agent on the same server; one that asks for a key this system does not hold.
            var ours = RunAgentServer("ours", Canary.NewToken());
            await ours.Process.WaitUntilStartedAsync();
            Refusals["same base URL"] = await SendAsync(api.PostAsJsonAsync("/api/agents", new { name = "legacy2", subscriptionId = a, baseUrl = Reference.BaseUrl }));
            Refusals["asks for a key"] = await SendAsync(api.PostAsJsonAsync("/api/agents", new { name = "ours", subscriptionId = a, baseUrl = ours.BaseUrl }));
            Refusals["leaves subscription mode"] = await SendAsync(api.PutAsJsonAsync($"/api/agents/{Agent}/subscription", new { subscriptionId = (Guid?)null }));

            await Observer.Publish(Failure(Agent, a));
            await SwitchedAsync(1, TokenB);
            (await api.PutAsJsonAsync($"/api/agents/{Agent}/subscription", new { subscriptionId = a })).EnsureSuccessStatusCode();
            await SwitchedAsync(2, TokenA);
            await api.UpsertSubscriptionAsync("subscription-a", TokenA2);
            await SwitchedAsync(3, TokenA2);
            await WaitUntilQuietAsync();

            var settled = (await RotationsAsync(Agent)).Count;
            await Task.Delay(ReconcileInterval * 2.5);
            await WaitUntilQuietAsync();
            Rotations = await RotationsAsync(Agent);
            RotationsAfterQuiet = Rotations.Count - settled;
            Received = await Reference.ReceivedAsync();
            Shown = (await api.GetFromJsonAsync<JsonElement>($"/api/agents/{Agent}"))!;
            RotationsShown = (await api.GetFromJsonAsync<JsonElement[]>($"/api/rotations?agent={Agent}"))!;
            ContainerExists = await Containers.InspectOrNullAsync($"trinity-test-{RunId}-{Agent}") is not null;
        }

        async Task SwitchedAsync(int count, string token)
        {
            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count >= count, $"switch {count}", TimeSpan.FromSeconds(30));
            await Eventually.Until(async () => (await Reference.ReceivedAsync()) is { Count: > 0 } received && received[^1].Fingerprint == TokenFingerprint.Of(token), $"switch {count} to reach the agent");
        }

        static async Task<(HttpStatusCode, string)> SendAsync(Task<HttpResponseMessage> sending)
        {
            using var response = await sending;
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

    }

    [Fact]
    public void It_is_registered_unmanaged_and_unauthenticated_and_no_container_is_started_for_it()
    {
        Assert.Equal(("unmanaged", false), (scenario.Registered.GetProperty("kind").GetString(), scenario.Registered.GetProperty("authenticated").GetBoolean()));
        Assert.Empty(scenario.Observer.Received<AgentContainerStarted>());
        Assert.False(scenario.ContainerExists);
    }

    [Theory]
    [InlineData("same base URL", "Another agent is registered at")]
    [InlineData("asks for a key", "asks for a key this system does not hold")]
    [InlineData("leaves subscription mode", "is unmanaged: leaving subscription mode needs a new container")]
    public void What_would_never_work_is_refused_with_the_reason(string attempt, string reason)
    {
        var (status, body) = scenario.Refusals[attempt];
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains(reason, body, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failure_a_reassignment_and_a_rollover_each_hot_reload_it_with_the_reference_body()
    {
        Assert.Equal([TokenFingerprint.Of(scenario.TokenB), TokenFingerprint.Of(scenario.TokenA), TokenFingerprint.Of(scenario.TokenA2)],
            scenario.Received.Select(r => r.Fingerprint));
        // The reference fields, read by any agent; the fence is this system's extra, which the reference ignores.
        Assert.All(scenario.Received, r => Assert.Equal(["fencing_token", "remove_api_key", "token"], r.Fields));
        Assert.All(scenario.Received, r => Assert.True(r.RemoveApiKey));
        Assert.Equal([SwitchTrigger.AutoSwitch, SwitchTrigger.Manual, SwitchTrigger.Rollover], scenario.Rotations.OrderBy(r => r.StartedAt).Select(r => r.Trigger));
    }

    [Fact]
    public void Each_rotation_succeeds_as_acknowledged_and_the_agent_stays_in_sync()
    {
        Assert.All(scenario.Rotations, r => Assert.Equal((RotationOutcome.Succeeded, SwitchMethod.HotReload, ReloadVerification.Acknowledged, null as string),
            (r.Outcome, r.Method, r.Verification, r.ObservedFingerprint)));
        Assert.All(scenario.RotationsShown, r => Assert.Equal("acknowledged", r.GetProperty("verification").GetString()));
        Assert.Equal(0, scenario.RotationsAfterQuiet);
        Assert.Equal((true, "unmanaged", "acknowledged", false),
            (scenario.Shown.GetProperty("inSync").GetBoolean(), scenario.Shown.GetProperty("kind").GetString(),
                scenario.Shown.GetProperty("verification").GetString(), scenario.Shown.GetProperty("authenticated").GetBoolean()));
    }

    [Fact]
    public void No_token_reaches_a_log_of_any_service()
    {
        foreach (var token in new[] { scenario.TokenA, scenario.TokenA2, scenario.TokenB })
            Assert.All(scenario.ServiceOutputs(), output => Assert.DoesNotContain(token, output, StringComparison.Ordinal));
    }
}
