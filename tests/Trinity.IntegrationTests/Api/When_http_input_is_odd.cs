using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Api;

/// <summary>
/// The API as a careless or hostile client meets it: enums as numbers, no body at all, four registrations of one name at
/// once, base URLs that would send an agent's tokens somewhere else. Each gets a clear 4xx for its sender; none a 500.
/// </summary>
public sealed class When_http_input_is_odd(When_http_input_is_odd.Scenario scenario) : IClassFixture<When_http_input_is_odd.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public HttpClient Api { get; private set; } = null!;
        public Guid Subscription { get; private set; }

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            (_, Api) = await StartApiAsync();
            using var created = await Send(HttpMethod.Post, "/api/subscriptions", """{"name":"a","token":"__TOKEN__"}""".Replace("__TOKEN__", Canary.NewToken(), StringComparison.Ordinal));
            Subscription = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }

        public Task<HttpResponseMessage> Send(HttpMethod method, string path, string? json) =>
            Api.SendAsync(new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") });
    }

    [Theory]
    [InlineData("/api/failures", """{"agentName":"courier","source":7,"statusCode":429,"tokenFingerprint":"0123456789ab"}""", "source")]
    [InlineData("/api/failures", """{"agentName":"courier","source":"7","statusCode":429,"tokenFingerprint":"0123456789ab"}""", "source")]
    [InlineData("/api/failures", """{"agentName":"courier","source":"chat","statusCode":"many","tokenFingerprint":"0123456789ab"}""", "statusCode")]
    [InlineData("/api/agents", """{"name":"courier","useApiKey":1}""", "useApiKey")]
    [InlineData("/api/agents", """{"name":7}""", "name")]
    [InlineData("/api/subscriptions", """{"name":"a","token":{"x":1}}""", "token")]
    [InlineData("/api/subscriptions", """{"name":"a\u0000b","token":"t"}""", "name")]
    [InlineData("/api/subscriptions", """{"name":"a","token":"t","tier":"x\u0000"}""", "tier")]
    public async Task A_value_of_the_wrong_type_is_a_400_naming_the_field(string path, string json, string field)
    {
        using var response = await scenario.Send(HttpMethod.Post, path, json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"the errors name {field}: {errors}");
    }

    [Fact]
    public async Task No_route_answers_500_to_a_request_without_a_body_or_with_one_that_is_not_json()
    {
        using var document = await scenario.Api.GetAsync("/api/openapi/v1.json");
        var paths = (await document.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("paths");
        var tried = new List<string>();
        foreach (var path in paths.EnumerateObject())
        {
            var concrete = path.Name.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal).Replace("{name}", "nobody", StringComparison.Ordinal);
            foreach (var method in path.Value.EnumerateObject().Select(m => m.Name.ToUpperInvariant()).Where(m => m is "POST" or "PUT" or "PATCH" or "DELETE"))
            {
                foreach (var body in new[] { null, "", "{", "null", "[]" })
                {
                    using var response = await scenario.Send(new HttpMethod(method), concrete, body);
                    Assert.True((int)response.StatusCode < 500, $"{method} {path.Name} with body '{body}' answered {(int)response.StatusCode}");
                    tried.Add($"{method} {path.Name}");
                }
            }
        }
        Assert.True(tried.Distinct().Count() >= 7, $"every writing route was tried: {string.Join(", ", tried.Distinct())}");
    }

    [Fact]
    public async Task Four_registrations_of_one_new_name_at_once_are_one_201_and_three_409s()
    {
        var name = $"racer-{Guid.NewGuid():N}"[..20];
        var baseUrl = $"http://127.0.0.1:{FreePort.Next()}";
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            scenario.Send(HttpMethod.Post, "/api/agents", JsonSerializer.Serialize(new { name, subscriptionId = scenario.Subscription, baseUrl }))));

        var statuses = answers.Select(a => a.StatusCode).Order().ToList();
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.Conflict], statuses);
        foreach (var answer in answers)
            answer.Dispose();
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://10.0.0.7:8000")]
    [InlineData("http://example.com:8000")]
    [InlineData("http://user:pass@127.0.0.1:8000")]
    [InlineData("not a url")]
    public async Task A_base_url_outside_the_agent_network_is_a_400(string baseUrl)
    {
        using var response = await scenario.Send(HttpMethod.Post, "/api/agents",
            JsonSerializer.Serialize(new { name = $"elsewhere-{Guid.NewGuid():N}"[..20], subscriptionId = scenario.Subscription, baseUrl }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("baseUrl", out _));
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}")]
    [InlineData("http://localhost:{port}")]
    [InlineData("https://[::1]:{port}")]
    public async Task A_base_url_on_loopback_is_accepted(string template)
    {
        var baseUrl = template.Replace("{port}", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        using var response = await scenario.Send(HttpMethod.Post, "/api/agents",
            JsonSerializer.Serialize(new { name = $"here-{Guid.NewGuid():N}"[..16], subscriptionId = scenario.Subscription, baseUrl }));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
