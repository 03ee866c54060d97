using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Adoption;

/// <summary>
/// What this system cannot do for an agent it does not run, said plainly. <c>lonely</c> (the Python reference agent,
/// unmanaged) is on E, the only subscription, when E is removed: with no alternative its token cannot be revoked — a
/// recreate would be needed, and the agent is not this system's to recreate — so the rotation fails visibly, with
/// exhaustion published, and the agent keeps what it had. <c>gone1</c>, registered unmanaged at an address where
/// nothing answers, fails its switch as such: nothing is recreated, nothing is started.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_an_unmanaged_agent_cannot_be_switched(When_an_unmanaged_agent_cannot_be_switched.Scenario scenario)
    : IClassFixture<When_an_unmanaged_agent_cannot_be_switched.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenE { get; } = Canary.NewToken();
        public ReferenceAgentProcess Lonely { get; private set; } = null!;
        public Rotation LonelyRotation { get; private set; } = null!;
        public JsonElement LonelyShown { get; private set; }
        public IReadOnlyList<ReceivedReload> LonelyReceived { get; private set; } = [];
        public JsonElement GoneRegistered { get; private set; }
        public Rotation GoneRotation { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Lonely = Own(await ReferenceAgentProcess.StartAsync("lonely", TokenE, LogDirectory));
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync(extra: new Dictionary<string, string?> { ["Trinity__RotationWorker__UnreachableAttempts"] = "1" });
            await StartContainerManagerAsync();
            var (_, api) = await StartApiAsync();

            var e = await api.UpsertSubscriptionAsync("subscription-e", TokenE);
            (await api.PostAsJsonAsync("/api/agents", new { name = "lonely", subscriptionId = e, baseUrl = Lonely.BaseUrl })).EnsureSuccessStatusCode();
            (await api.DeleteAsync($"/api/subscriptions/{e}")).EnsureSuccessStatusCode();
            await Eventually.Until(async () => (await RotationsAsync("lonely")).SingleOrDefault(r => r.Outcome != RotationOutcome.InProgress), r => r is not null, "lonely's rotation to end");
            LonelyRotation = (await RotationsAsync("lonely")).Single();
            LonelyShown = (await api.GetFromJsonAsync<JsonElement>("/api/agents/lonely"))!;
            LonelyReceived = await Lonely.ReceivedAsync();

            var f = await api.UpsertSubscriptionAsync("subscription-f", Canary.NewToken());
            await api.UpsertSubscriptionAsync("subscription-g", Canary.NewToken());
            using (var registered = await api.PostAsJsonAsync("/api/agents", new { name = "gone1", subscriptionId = f, baseUrl = $"http://127.0.0.1:{FreePort.Next()}", unmanaged = true }))
                GoneRegistered = (await registered.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>())!;
            await Observer.Publish(Failure("gone1", f));
            await Eventually.Until(async () => (await RotationsAsync("gone1")).SingleOrDefault(r => r.Outcome != RotationOutcome.InProgress), r => r is not null, "gone1's rotation to end");
            GoneRotation = (await RotationsAsync("gone1")).Single();
            await WaitUntilQuietAsync();
        }

    }

    [Fact]
    public void Removing_the_only_subscription_of_an_unmanaged_agent_fails_visibly_and_publishes_exhaustion()
    {
        Assert.Equal((SwitchTrigger.Removal, RotationOutcome.Failed), (scenario.LonelyRotation.Trigger, scenario.LonelyRotation.Outcome));
        Assert.StartsWith("CannotRecreate: agent lonely is unmanaged", scenario.LonelyRotation.OutcomeDetail, StringComparison.Ordinal);
        Assert.Single(scenario.Observer.Received<AgentSubscriptionsExhausted>(), x => x.AgentName == "lonely");
        Assert.False(scenario.LonelyShown.GetProperty("inSync").GetBoolean());
        Assert.Contains("CannotRecreate", scenario.LonelyShown.GetProperty("lastFailure").GetString(), StringComparison.Ordinal);
        // Nothing could reach it: it still runs the removed subscription's token, which the operator must revoke at its source.
        Assert.Empty(scenario.LonelyReceived);
    }

    [Fact]
    public void An_unmanaged_agent_that_does_not_answer_fails_its_switch_and_nothing_is_recreated_or_started()
    {
        Assert.Equal("unmanaged", scenario.GoneRegistered.GetProperty("kind").GetString());
        Assert.Equal(RotationOutcome.Failed, scenario.GoneRotation.Outcome);
        Assert.StartsWith("CannotRecreate: the hot-reload did not land: it could not be reached", scenario.GoneRotation.OutcomeDetail, StringComparison.Ordinal);
        Assert.Empty(scenario.Observer.Received<TokenReloadFellBack>());
        Assert.Empty(scenario.Observer.Received<ContainerRecreated>());
        Assert.Empty(scenario.Observer.Received<ContainerRecreateSkipped>());
        Assert.Empty(scenario.Observer.Received<AgentContainerStarted>());
    }
}
