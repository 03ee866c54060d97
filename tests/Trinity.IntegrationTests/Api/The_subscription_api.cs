using System.Net;
using System.Net.Http.Json;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Api;

/// <summary>
/// Admins manage subscriptions over HTTP with the real services behind: a new token for an existing name rolls
/// the key over on every agent using it; deleting a subscription moves its agents. Tokens are canaries: no
/// response body and no line of the API's log may contain one.
/// </summary>
public sealed class The_subscription_api(The_subscription_api.Scenario scenario) : IClassFixture<The_subscription_api.Scenario>
{
    public sealed record Shown(Guid Id, string Name, int KeyVersion, string Fingerprint, string? Type, string? Tier, int? AgentCount, DateTimeOffset? CooldownUntil);

    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA1 { get; } = Canary.NewToken();
        public string TokenA2 { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public HttpClient Api { get; private set; } = null!;
        public ServiceProcess ApiProcess { get; private set; } = null!;
        public AgentServerProcess Agent { get; private set; } = null!;
        public List<(HttpStatusCode Status, string Body)> Responses { get; } = [];
        public Shown A { get; private set; } = null!;
        public Shown B { get; private set; } = null!;
        public Shown Rolled { get; private set; } = null!;
        public Shown Unchanged { get; private set; } = null!;
        public List<Shown> Listed { get; private set; } = [];
        public string? FingerprintAfterRollover { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            (ApiProcess, Api) = await StartApiAsync();
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();

            A = await Upsert(new { name = "subscription-a", token = TokenA1, type = "max", tier = "20x" }, HttpStatusCode.Created);
            B = await Upsert(new { name = "subscription-b", token = TokenB }, HttpStatusCode.Created);
            Agent = await StartAgentServerAsync("alpha", TokenA1, A.Id);

            Rolled = await Upsert(new { name = "subscription-a", token = TokenA2 }, HttpStatusCode.OK);
            await Eventually.Until(Agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenA2), "the rollover to reach the agent");
            FingerprintAfterRollover = (await Agent.LiveCredentialAsync()).Fingerprint;
            Unchanged = await Upsert(new { name = "subscription-a", token = TokenA2 }, HttpStatusCode.OK);
            Listed = (await Send(HttpMethod.Get, "/api/subscriptions")).Deserialize<List<Shown>>();

            Assert.Equal(HttpStatusCode.NoContent, (await Send(HttpMethod.Delete, $"/api/subscriptions/{A.Id}")).Status);
            await Eventually.Until(Agent.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(TokenB), "the removal to move the agent");
            await WaitUntilQuietAsync();
        }

        async Task<Shown> Upsert(object body, HttpStatusCode expected)
        {
            var response = await Send(HttpMethod.Post, "/api/subscriptions", body);
            Assert.Equal(expected, response.Status);
            return response.Deserialize<Shown>();
        }

        public async Task<(HttpStatusCode Status, string Body)> Send(HttpMethod method, string path, object? body = null, string? authorization = "default")
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            if (authorization != "default")
            {
                request.Headers.Authorization = null;
                if (authorization is not null)
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            else
            {
                request.Headers.Authorization = Api.DefaultRequestHeaders.Authorization;
            }
            using var plain = new HttpClient { BaseAddress = Api.BaseAddress };
            using var response = await plain.SendAsync(request);
            var result = (response.StatusCode, await response.Content.ReadAsStringAsync());
            Responses.Add(result);
            return result;
        }
    }

    [Fact]
    public void Creating_answers_the_fingerprint_and_key_version_never_the_token()
    {
        Assert.Equal(("subscription-a", 1, TokenFingerprint.Of(scenario.TokenA1), "max", "20x"), (scenario.A.Name, scenario.A.KeyVersion, scenario.A.Fingerprint, scenario.A.Type, scenario.A.Tier));
    }

    [Fact]
    public void A_new_token_for_an_existing_name_rolls_the_key_over_to_every_agent_on_it()
    {
        Assert.Equal((scenario.A.Id, 2, TokenFingerprint.Of(scenario.TokenA2)), (scenario.Rolled.Id, scenario.Rolled.KeyVersion, scenario.Rolled.Fingerprint));
        Assert.Equal(TokenFingerprint.Of(scenario.TokenA2), scenario.FingerprintAfterRollover);
        Assert.Contains(scenario.Observer.Received<AgentSubscriptionSwitched>(), s => s.Trigger == SwitchTrigger.Rollover && s.AgentName == "alpha");
    }

    [Fact]
    public void The_same_token_again_changes_nothing() =>
        Assert.Equal(2, scenario.Unchanged.KeyVersion);

    [Fact]
    public void The_list_shows_what_is_derived()
    {
        Assert.Equal(["subscription-a", "subscription-b"], scenario.Listed.Select(s => s.Name));
        Assert.Equal([1, 0], scenario.Listed.Select(s => s.AgentCount ?? -1));
    }

    [Fact]
    public async Task Deleting_a_subscription_moves_its_agents_and_hides_it()
    {
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), (await scenario.Agent.LiveCredentialAsync()).Fingerprint);
        Assert.Equal(scenario.B.Id, (await scenario.AgentAsync("alpha")).SubscriptionId);
        var listed = (await scenario.Send(HttpMethod.Get, "/api/subscriptions")).Deserialize<List<Shown>>();
        Assert.Equal(["subscription-b"], listed.Select(s => s.Name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-the-admin-key-0123456789")]
    public async Task Every_route_refuses_a_missing_or_wrong_admin_key(string? authorization)
    {
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/subscriptions"), (HttpMethod.Post, "/api/subscriptions"), (HttpMethod.Delete, $"/api/subscriptions/{scenario.B.Id}") })
            Assert.Equal(HttpStatusCode.Unauthorized, (await scenario.Send(method, path, new { name = "x", token = "y" }, authorization)).Status);
        Assert.Single((await scenario.Send(HttpMethod.Get, "/api/subscriptions")).Deserialize<List<Shown>>());
    }

    [Theory]
    [InlineData("{\"token\":\"sk-ant-oat01-x\"}", "name")]
    [InlineData("{\"name\":\"s\",\"token\":\"  \"}", "token")]
    [InlineData("{\"name\":\"s\",\"token\":\"has space\"}", "token")]
    public async Task A_bad_body_gets_400_naming_the_field(string json, string field)
    {
        var response = await scenario.Send(HttpMethod.Post, "/api/subscriptions", System.Text.Json.JsonDocument.Parse(json).RootElement);
        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains($"\"{field}\"", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_an_unknown_subscription_is_404() =>
        Assert.Equal(HttpStatusCode.NotFound, (await scenario.Send(HttpMethod.Delete, $"/api/subscriptions/{Guid.NewGuid()}")).Status);

    [Fact]
    public void No_token_appears_in_a_response_or_a_log_line()
    {
        string[] tokens = [scenario.TokenA1, scenario.TokenA2, scenario.TokenB];
        LeakScan.AssertAbsent(tokens, scenario.Responses.Select(r => r.Body).ToList(), "API responses", atLeastCharacters: 500);
        LeakScan.AssertAbsent(tokens, [scenario.ApiProcess.OutputText], "the API's log", atLeastCharacters: 500);
        LeakScan.AssertAbsent(tokens, LeakScan.ProcessCommandLines(), "process command lines", atLeastCharacters: 1000);
    }
}

static class ResponseBodies
{
    static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public static T Deserialize<T>(this (HttpStatusCode Status, string Body) response) =>
        System.Text.Json.JsonSerializer.Deserialize<T>(response.Body, Json) ?? throw new InvalidOperationException($"Empty body ({response.Status}).");
}
