using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Liveness;

/// <summary>
/// <c>alpha</c> was registered with the wrong control key, so it refuses every reload (401): out of sync, for good. The
/// reconciler runs every second here and the back-off starts at 2 s (doubling, at most 8 s): over twelve seconds it
/// may try a few times, not twelve. The API shows the attempts and the next one; an operator's retry tries at once.
/// <c>ghost</c> has no placement at all: its rotation is skipped, not failed.
/// </summary>
public sealed class When_an_agent_keeps_refusing_its_reloads(When_an_agent_keeps_refusing_its_reloads.Scenario scenario)
    : IClassFixture<When_an_agent_keeps_refusing_its_reloads.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public const string Agent = "alpha";
        public static readonly TimeSpan Watched = TimeSpan.FromSeconds(12);
        public int RotationsWhileWatched { get; private set; }
        public JsonElement Shown { get; private set; }
        public int RotationsBeforeRetry { get; private set; }
        public JsonElement AfterRetry { get; private set; }
        public Rotation Ghost { get; private set; } = null!;
        public Infrastructure.Persistence.Sagas.AgentCredentialState GhostState { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var a = await AddSubscriptionAsync("subscription-a", Canary.NewToken());
            await AddSubscriptionAsync("subscription-b", Canary.NewToken());
            var agent = RunAgentServer(Agent, Canary.NewToken());
            await agent.Process.WaitUntilStartedAsync();
            await RegisterAgentAsync(Agent, a.Id, agent.BaseUrl, "not-the-agents-control-key-at-all");
            await RegisterAgentAsync("ghost", a.Id, baseUrl: null, controlKey: null);
            await StartObserverAsync();
            await StartOrchestratorAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__Orchestrator__ReconcileInterval"] = "00:00:01",
                ["Trinity__Orchestrator__RetryBackoff"] = "00:00:02",
                ["Trinity__Orchestrator__LongestRetryBackoff"] = "00:00:08",
            });
            await StartRotationWorkerAsync();
            var (_, api) = await StartApiAsync();

            await Observer.Publish(Failure(Agent, a.Id));
            await Observer.Publish(Failure("ghost", a.Id));
            await Eventually.Until(async () => (await RotationsAsync(Agent)).Count(r => r.Outcome == RotationOutcome.Failed), n => n >= 1, "the first refusal");
            var watchedFrom = DateTimeOffset.UtcNow;
            await Task.Delay(Watched);
            RotationsWhileWatched = (await RotationsAsync(Agent)).Count(r => r.StartedAt >= watchedFrom);
            Shown = (await api.GetFromJsonAsync<JsonElement>($"/api/agents/{Agent}"))!;

            RotationsBeforeRetry = (await RotationsAsync(Agent)).Count;
            (await api.PostAsync($"/api/agents/{Agent}/retry", null)).EnsureSuccessStatusCode();
            await Eventually.Until(async () => (await RotationsAsync(Agent)).Count, n => n > RotationsBeforeRetry, "the retry to start a rotation at once", TimeSpan.FromSeconds(3));
            await Eventually.Until(async () => (await RotationsAsync(Agent)).All(r => r.Outcome != RotationOutcome.InProgress), "the retried rotation to end");
            AfterRetry = (await api.GetFromJsonAsync<JsonElement>($"/api/agents/{Agent}"))!;
            Ghost = (await RotationsAsync("ghost")).Single();
            GhostState = (await SagaAsync("ghost"))!;
        }
    }

    [Fact]
    public void The_reconciler_backs_off_instead_of_trying_every_second()
    {
        // Attempts at +2, +6 (2 + 4) and +14 s after the first refusal: at most three start within twelve seconds.
        Assert.InRange(scenario.RotationsWhileWatched, 1, 3);
    }

    [Fact]
    public void The_api_shows_the_attempts_the_next_one_and_why()
    {
        Assert.True(scenario.Shown.GetProperty("failedAttempts").GetInt32() >= 2, scenario.Shown.ToString());
        Assert.True(scenario.Shown.GetProperty("nextAttemptAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddSeconds(-Scenario.Watched.TotalSeconds));
        Assert.StartsWith("Rejected", scenario.Shown.GetProperty("lastFailure").GetString(), StringComparison.Ordinal);
        Assert.False(scenario.Shown.GetProperty("inSync").GetBoolean());
    }

    [Fact]
    public void An_operators_retry_starts_the_back_off_afresh()
    {
        Assert.Equal(1, scenario.AfterRetry.GetProperty("failedAttempts").GetInt32());
    }

    [Fact]
    public void An_agent_with_no_placement_is_skipped_not_failed()
    {
        Assert.Equal((RotationOutcome.Succeeded, SwitchMethod.Skipped), (scenario.Ghost.Outcome, scenario.Ghost.Method));
        Assert.False(scenario.GhostState.OutOfSync);
    }
}
