using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Safety;

/// <summary>
/// Two agents (one agent server in fleet mode) on A; B free. A turn of <c>alpha</c> gets a 401 on A: its token is
/// revoked. A is disabled — with when, why and which report — and both agents move off it, not only the one that
/// reported. A 503 on B afterwards only cools B down; an operator then enables A again.
/// </summary>
public sealed class When_a_subscriptions_token_is_revoked(When_a_subscriptions_token_is_revoked.Scenario scenario)
    : IClassFixture<When_a_subscriptions_token_is_revoked.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenB { get; } = Canary.NewToken();
        public Subscription A { get; private set; } = null!;
        public Subscription B { get; private set; } = null!;
        public ReportSubscriptionFailure Revoked { get; private set; } = null!;
        public FleetAgentServer Fleet { get; private set; } = null!;
        public JsonElement ADisabled { get; private set; }
        public JsonElement BAfter503 { get; private set; }
        public JsonElement AEnabled { get; private set; }
        public FailureRecord After503 { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var tokenA = Canary.NewToken();
            A = await AddSubscriptionAsync("subscription-a", tokenA);
            B = await AddSubscriptionAsync("subscription-b", TokenB);
            Fleet = await StartFleetAsync([("alpha", tokenA), ("beta", tokenA)]);
            foreach (var agent in Fleet.Agents)
                await RegisterAgentAsync(agent.AgentName, A.Id, agent.BaseUrl, agent.ControlKey);
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();
            var (_, api) = await StartApiAsync();

            Revoked = Failure("alpha", A.Id, FailureKind.AuthenticationFailed) with { StatusCode = 401, ErrorMessage = "401 authentication_error: invalid x-api-key" };
            await Observer.Publish(Revoked);
            foreach (var agent in Fleet.Agents)
                await Eventually.Until(agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), $"{agent.AgentName} to run B");
            await WaitUntilQuietAsync();
            ADisabled = await SubscriptionAsync(api, A.Id);

            var unavailable = Failure("alpha", B.Id, FailureKind.AuthenticationFailed) with { StatusCode = 503, ErrorMessage = "503 Service Unavailable" };
            await Observer.Publish(unavailable);
            await Eventually.Until(async () => (await FailuresAsync()).Single(f => f.Id == unavailable.FailureId).Decision, d => d is not null, "the 503 to be decided");
            await WaitUntilQuietAsync();
            After503 = (await FailuresAsync()).Single(f => f.Id == unavailable.FailureId);
            BAfter503 = await SubscriptionAsync(api, B.Id);

            (await api.PostAsync($"/api/subscriptions/{A.Id}/enable", null)).EnsureSuccessStatusCode();
            AEnabled = await SubscriptionAsync(api, A.Id);
        }

        static async Task<JsonElement> SubscriptionAsync(HttpClient api, Guid id) =>
            (await api.GetFromJsonAsync<JsonElement>("/api/subscriptions")).EnumerateArray().Single(s => s.GetProperty("id").GetGuid() == id);
    }

    [Fact]
    public void The_401_disabled_A_with_when_why_and_which_report()
    {
        Assert.Equal(JsonValueKind.String, scenario.ADisabled.GetProperty("disabledAt").ValueKind);
        Assert.Contains("AuthenticationFailed (401) of key version 1, reported by Chat for alpha", scenario.ADisabled.GetProperty("disabledReason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_agent_on_A_moved_off_it_not_only_the_one_that_reported()
    {
        var switched = scenario.Observer.Received<AgentSubscriptionSwitched>();
        Assert.Equal(["alpha", "beta"], switched.Select(s => s.AgentName).Order());
        Assert.All(switched, s => Assert.Equal((scenario.A.Id, scenario.B.Id), (s.From, s.To)));
        Assert.Equal((SwitchTrigger.Removal, "subscription subscription-a was disabled"),
            (await scenario.RotationsAsync("beta")).Single() is var beta ? (beta.Trigger, beta.Reason[..beta.Reason.IndexOf(" (", StringComparison.Ordinal)]) : default);
        Assert.Equal("disabled subscription-a: switched to subscription-b", (await scenario.FailuresAsync()).Single(f => f.Id == scenario.Revoked.FailureId).Decision);
    }

    [Fact]
    public void A_503_only_cools_B_down_and_a_disabled_A_is_no_alternative()
    {
        Assert.Equal(JsonValueKind.Null, scenario.BAfter503.GetProperty("disabledAt").ValueKind);
        Assert.Equal(JsonValueKind.String, scenario.BAfter503.GetProperty("cooldownUntil").ValueKind);
        Assert.StartsWith("exhausted: no viable alternative", scenario.After503.Decision, StringComparison.Ordinal);
    }

    [Fact]
    public void An_operator_enables_A_again()
    {
        Assert.Equal(JsonValueKind.Null, scenario.AEnabled.GetProperty("disabledAt").ValueKind);
        // The 401 disabled A; it holds no cooldown of its own, so A is an alternative again at once.
        Assert.Equal(JsonValueKind.Null, scenario.AEnabled.GetProperty("cooldownUntil").ValueKind);
    }
}
