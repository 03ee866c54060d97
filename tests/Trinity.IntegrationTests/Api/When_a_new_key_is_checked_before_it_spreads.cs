using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Api;

/// <summary>
/// The API tries a new key against the model API (here its simulator) before it stores it. Two agents share
/// <c>shared</c>. An operator rolls it over to a key the provider has revoked: 422 with the reason, the key not stored,
/// no agent moved. Then to a key the provider rate-limits (429): stored, and the rollover reaches both agents. A new
/// subscription with a revoked key is refused the same way; an upsert that repeats the current key asks nothing. No
/// token is in the API's answers or log. An API without the setting asks nothing; one whose setting is not the model
/// API's base URL does not start.
/// </summary>
public sealed class When_a_new_key_is_checked_before_it_spreads(When_a_new_key_is_checked_before_it_spreads.Scenario scenario)
    : IClassFixture<When_a_new_key_is_checked_before_it_spreads.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string First { get; } = Canary.NewToken();
        public string Revoked { get; } = Canary.NewToken();
        public string RateLimited { get; } = Canary.NewToken();
        public string RevokedForANewOne { get; } = Canary.NewToken();
        public FleetAgentServer Fleet { get; private set; } = null!;
        public (HttpStatusCode Status, JsonElement Body) RolloverToRevoked { get; private set; }
        public Subscription AfterTheRefusal { get; private set; } = null!;
        public int RotationsAfterTheRefusal { get; private set; }
        public (HttpStatusCode Status, JsonElement Body) RolloverToRateLimited { get; private set; }
        public (HttpStatusCode Status, JsonElement Body) NewWithRevoked { get; private set; }
        public (HttpStatusCode Status, JsonElement Body) RepeatedKey { get; private set; }
        public List<string?> LiveAfterTheRefusal { get; } = [];
        public string Unchecked { get; } = Canary.NewToken();
        public (HttpStatusCode Status, JsonElement Body) WithoutTheCheck { get; private set; }
        public Dictionary<string, string> RefusedSettings { get; } = [];
        public string ApiOutput { get; private set; } = "";
        public bool NewOneStored { get; private set; }
        public int ChecksOfTheCurrentKey { get; private set; }
        public List<string> Answers { get; } = [];
        public IReadOnlyList<SimulatedRequest> Seen { get; private set; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var model = await StartModelApiAsync();
            await model.RevokeAsync(TokenFingerprint.Of(Revoked));
            await model.RevokeAsync(TokenFingerprint.Of(RevokedForANewOne));
            await model.SetBudgetAsync(TokenFingerprint.Of(RateLimited), 0);
            var shared = await AddSubscriptionAsync("shared", First);
            Fleet = await StartFleetAsync([("one", First), ("two", First)]);
            foreach (var agent in Fleet.Agents)
                await RegisterAgentAsync(agent.AgentName, shared.Id, agent.BaseUrl, agent.ControlKey);
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();
            var (apiProcess, api) = await StartApiAsync(new Dictionary<string, string?> { ["Trinity__Api__KeyCheckUrl"] = model.BaseUrl + "/" });

            RolloverToRevoked = await UpsertAsync(api, "shared", Revoked);
            await WaitUntilQuietAsync();
            await using (var db = NewDbContext())
                AfterTheRefusal = await db.Subscriptions.AsNoTracking().SingleAsync(s => s.Id == shared.Id);
            RotationsAfterTheRefusal = (await RotationsAsync()).Count;
            foreach (var agent in Fleet.Agents)
                LiveAfterTheRefusal.Add((await agent.LiveCredentialAsync()).Fingerprint);

            RolloverToRateLimited = await UpsertAsync(api, "shared", RateLimited);
            await Eventually.Until(async () => (await RotationsAsync()).Count(r => r.Outcome == RotationOutcome.Succeeded), n => n == 2, "the rollover to reach both agents");
            await WaitUntilQuietAsync();

            var checksBefore = (await model.RequestsAsync()).Count;
            RepeatedKey = await UpsertAsync(api, "shared", RateLimited);
            ChecksOfTheCurrentKey = (await model.RequestsAsync()).Count - checksBefore;

            NewWithRevoked = await UpsertAsync(api, "another", RevokedForANewOne);
            await using (var db = NewDbContext())
                NewOneStored = await db.Subscriptions.AnyAsync(s => s.Name == "another");

            await model.RevokeAsync(TokenFingerprint.Of(Unchecked));
            var (_, withoutTheCheck) = await StartApiAsync(name: "api-without-the-check");
            WithoutTheCheck = await UpsertAsync(withoutTheCheck, "unchecked", Unchecked);
            foreach (var setting in new[] { "http://model-api.example/", $"{model.BaseUrl}/v1/messages", $"{model.BaseUrl}?key=x" })
            {
                var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                    StartApiAsync(new Dictionary<string, string?> { ["Trinity__Api__KeyCheckUrl"] = setting }, name: $"api-refusing-{RefusedSettings.Count}"));
                RefusedSettings[setting] = refused.Message;
            }
            Seen = await model.RequestsAsync();
            ApiOutput = apiProcess.OutputText;
        }

        async Task<(HttpStatusCode, JsonElement)> UpsertAsync(HttpClient api, string name, string token)
        {
            using var response = await api.PostAsJsonAsync("/api/subscriptions", new { name, token });
            var body = await response.Content.ReadAsStringAsync();
            Answers.Add(body);
            return (response.StatusCode, JsonDocument.Parse(body).RootElement);
        }
    }

    [Fact]
    public void A_key_the_provider_refuses_is_a_422_with_the_reason_and_nothing_changes()
    {
        Assert.Equal(HttpStatusCode.UnprocessableEntity, scenario.RolloverToRevoked.Status);
        Assert.Equal($"The model API refused the new key (fingerprint {TokenFingerprint.Of(scenario.Revoked)}) with 401: nothing changed. Check the key and send it again.",
            scenario.RolloverToRevoked.Body.GetProperty("title").GetString());
        Assert.Equal((1, TokenFingerprint.Of(scenario.First)), (scenario.AfterTheRefusal.KeyVersion, scenario.AfterTheRefusal.TokenFingerprint));
        Assert.Equal(0, scenario.RotationsAfterTheRefusal);
        Assert.All(scenario.LiveAfterTheRefusal, live => Assert.Equal(TokenFingerprint.Of(scenario.First), live));
        Assert.Contains(scenario.Seen, r => r.Fingerprint == TokenFingerprint.Of(scenario.Revoked) && r.Status == 401);
    }

    [Fact]
    public async Task A_rate_limited_key_is_stored_and_reaches_every_agent()
    {
        Assert.Equal(HttpStatusCode.OK, scenario.RolloverToRateLimited.Status);
        Assert.Equal(2, scenario.RolloverToRateLimited.Body.GetProperty("keyVersion").GetInt32());
        Assert.Contains(scenario.Seen, r => r.Fingerprint == TokenFingerprint.Of(scenario.RateLimited) && r.Status == 429);
        foreach (var agent in scenario.Fleet.Agents)
            Assert.Equal(TokenFingerprint.Of(scenario.RateLimited), (await agent.LiveCredentialAsync()).Fingerprint);
    }

    [Fact]
    public void A_new_subscription_with_a_refused_key_is_not_created_and_the_current_key_is_not_asked_about_again()
    {
        Assert.Equal(HttpStatusCode.UnprocessableEntity, scenario.NewWithRevoked.Status);
        Assert.False(scenario.NewOneStored);
        Assert.Equal((HttpStatusCode.OK, 2), (scenario.RepeatedKey.Status, scenario.RepeatedKey.Body.GetProperty("keyVersion").GetInt32()));
        Assert.Equal(0, scenario.ChecksOfTheCurrentKey);
    }

    [Fact]
    public void Without_the_setting_nothing_is_asked_and_a_setting_that_is_not_a_base_url_stops_the_start()
    {
        Assert.Equal(HttpStatusCode.Created, scenario.WithoutTheCheck.Status);
        Assert.DoesNotContain(scenario.Seen, r => r.Fingerprint == TokenFingerprint.Of(scenario.Unchecked));
        Assert.Equal(3, scenario.RefusedSettings.Count);
        Assert.All(scenario.RefusedSettings, refused => Assert.Contains("Trinity:Api:KeyCheckUrl is the model API's base URL", refused.Value, StringComparison.Ordinal));
    }

    [Fact]
    public void No_token_is_in_the_apis_answers_or_log()
    {
        LeakScan.AssertAbsent([scenario.First, scenario.Revoked, scenario.RateLimited, scenario.RevokedForANewOne],
            [.. scenario.Answers, scenario.ApiOutput, .. LeakScan.ProcessCommandLines()], "the API's answers, its log and every command line", 1000);
        Assert.Contains("The model API refused the new key", scenario.ApiOutput, StringComparison.Ordinal);
        Assert.Contains(TokenFingerprint.Of(scenario.Revoked), scenario.ApiOutput, StringComparison.Ordinal);
    }
}
