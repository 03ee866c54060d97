using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Api;

/// <summary>
/// An agent registered over HTTP gets its container from the container manager; a failure reported over HTTP
/// (by a producer that does not speak AMQP) is classified and moves it; an operator moves it back.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class The_agent_and_failure_api(The_agent_and_failure_api.Scenario scenario) : IClassFixture<The_agent_and_failure_api.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenA { get; } = Canary.NewToken();
        public string TokenB { get; } = Canary.NewToken();
        public HttpClient Api { get; private set; } = null!;
        public Guid A { get; private set; }
        public Guid B { get; private set; }
        public JsonElement Registered { get; private set; }
        public JsonElement AfterFailure { get; private set; }
        public JsonElement Accepted { get; private set; }
        public JsonElement History { get; private set; }
        public JsonElement AfterReassignment { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            (_, Api) = await StartApiAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();
            await StartContainerManagerAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__ContainerManager__ContainerNamePrefix"] = $"trinity-test-{RunId}-",
                [$"Trinity__ContainerManager__Labels__{AgentContainers.TestRunLabel}"] = RunId,
            });
            A = (await Json(HttpMethod.Post, "/api/subscriptions", new { name = "a", token = TokenA })).GetProperty("id").GetGuid();
            B = (await Json(HttpMethod.Post, "/api/subscriptions", new { name = "b", token = TokenB })).GetProperty("id").GetGuid();

            await Json(HttpMethod.Post, "/api/agents", new { name = "courier", subscriptionId = A, baseUrl = $"http://127.0.0.1:{FreePort.Next()}" });
            Registered = await Eventually.Until(() => Json(HttpMethod.Get, "/api/agents/courier"), a => a.GetProperty("liveFingerprint").GetString() is not null, "the agent's container to start");

            Accepted = await Json(HttpMethod.Post, "/api/failures", new { agentName = "courier", statusCode = 429, errorMessage = "429 rate_limit_error", source = "chat", subscriptionId = A });
            AfterFailure = await Eventually.Until(() => Json(HttpMethod.Get, "/api/agents/courier"),
                a => a.GetProperty("liveFingerprint").GetString() == TokenFingerprint.Of(TokenB) && a.GetProperty("state").GetString() == "Idle", "the failure to move the agent to B");
            History = await Json(HttpMethod.Get, "/api/rotations?agent=courier");

            await Json(HttpMethod.Put, "/api/agents/courier/subscription", new { subscriptionId = A });
            AfterReassignment = await Eventually.Until(() => Json(HttpMethod.Get, "/api/agents/courier"),
                a => a.GetProperty("liveFingerprint").GetString() == TokenFingerprint.Of(TokenA) && a.GetProperty("state").GetString() == "Idle", "the operator to move it back to A");
            await WaitUntilQuietAsync();
        }

        public async Task<JsonElement> Json(HttpMethod method, string path, object? body = null)
        {
            using var response = await Send(method, path, body);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        public Task<HttpResponseMessage> Send(HttpMethod method, string path, object? body = null) =>
            Api.SendAsync(new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) });

    }

    [Fact]
    public void A_registered_agent_runs_in_its_own_container_with_its_subscription()
    {
        Assert.Equal(("subscription", TokenFingerprint.Of(scenario.TokenA)), (scenario.Registered.GetProperty("authMode").GetString(), scenario.Registered.GetProperty("liveFingerprint").GetString()));
        Assert.False(string.IsNullOrEmpty(scenario.Registered.GetProperty("containerId").GetString()));
    }

    [Fact]
    public void A_failure_reported_over_http_is_classified_and_switches_the_agent()
    {
        Assert.Equal("rate-limited", scenario.Accepted.GetProperty("kind").GetString());
        Assert.Equal((scenario.B.ToString(), true), (scenario.AfterFailure.GetProperty("subscriptionId").GetString(), scenario.AfterFailure.GetProperty("inSync").GetBoolean()));
        Assert.Equal(("AutoSwitch", "Succeeded", "HotReload"), (scenario.History[0].GetProperty("trigger").GetString(),
            scenario.History[0].GetProperty("outcome").GetString(), scenario.History[0].GetProperty("method").GetString()));
        Assert.Equal(("a", "b"), (scenario.History[0].GetProperty("fromName").GetString(), scenario.History[0].GetProperty("toName").GetString()));
        Assert.Equal("b", scenario.AfterFailure.GetProperty("subscriptionName").GetString());
    }

    [Fact]
    public void A_reassignment_over_http_moves_it_back_and_the_history_is_newest_first()
    {
        Assert.Equal(scenario.A.ToString(), scenario.AfterReassignment.GetProperty("subscriptionId").GetString());
        Assert.Equal("Manual", scenario.AfterReassignment.GetProperty("lastRotation").GetProperty("trigger").GetString());
        Assert.Equal(("b", "a"), (scenario.AfterReassignment.GetProperty("lastRotation").GetProperty("fromName").GetString(),
            scenario.AfterReassignment.GetProperty("lastRotation").GetProperty("toName").GetString()));
    }

    [Fact]
    public async Task The_list_shows_every_agent_with_its_host_state_and_last_verification()
    {
        var agents = await scenario.Json(HttpMethod.Get, "/api/agents");
        var courier = Assert.Single(agents.EnumerateArray());
        Assert.Equal(("courier", "local", "Idle", scenario.A.ToString()), (courier.GetProperty("name").GetString(), courier.GetProperty("host").GetString(),
            courier.GetProperty("state").GetString(), courier.GetProperty("subscriptionId").GetString()));
        Assert.Equal("a", courier.GetProperty("subscriptionName").GetString());
        Assert.Equal(scenario.AfterReassignment.GetProperty("verification").GetString(), courier.GetProperty("verification").GetString());
        Assert.NotNull(courier.GetProperty("verification").GetString());
    }

    [Theory]
    [InlineData(503, "Service Unavailable", "authentication-failed")]
    [InlineData(null, "Credit balance is too low", "authentication-failed")]
    [InlineData(null, "OAuth token expired", "authentication-failed")]
    public async Task Authentication_failures_are_recognised(int? status, string message, string kind)
    {
        using var response = await scenario.Send(HttpMethod.Post, "/api/failures", new { agentName = "nobody", statusCode = status, errorMessage = message, source = "schedule", tokenFingerprint = "0123456789ab" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains($"\"{kind}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401, "process killed by SIGKILL (exit code 137)")]
    [InlineData(500, "TypeError: undefined is not a function")]
    public async Task What_is_not_a_subscription_failure_is_refused_with_422_and_why(int status, string message)
    {
        using var response = await scenario.Send(HttpMethod.Post, "/api/failures", new { agentName = "courier", statusCode = status, errorMessage = message, source = "chat", subscriptionId = scenario.A });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("Not a subscription failure", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/failures", "{\"agentName\":\"Bad Name\",\"source\":\"chat\",\"statusCode\":429,\"tokenFingerprint\":\"0123456789ab\"}", "agentName")]
    [InlineData("/api/failures", "{\"agentName\":\"courier\",\"statusCode\":429,\"tokenFingerprint\":\"0123456789ab\"}", "source")]
    [InlineData("/api/failures", "{\"agentName\":\"courier\",\"source\":\"chat\",\"statusCode\":429}", "subscriptionId")]
    [InlineData("/api/agents", "{\"name\":\"-bad-\"}", "name")]
    public async Task A_bad_body_gets_400_naming_the_field(string path, string json, string field)
    {
        using var response = await scenario.Send(HttpMethod.Post, path, JsonDocument.Parse(json).RootElement);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_agents_are_404_and_a_second_registration_is_409()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await scenario.Send(HttpMethod.Get, "/api/agents/nobody")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await scenario.Send(HttpMethod.Put, "/api/agents/nobody/subscription", new { subscriptionId = scenario.A })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await scenario.Send(HttpMethod.Post, "/api/agents", new { name = "courier" })).StatusCode);
    }
}
