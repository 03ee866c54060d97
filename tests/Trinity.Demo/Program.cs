using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Trinity.Demo;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Secrets;
using Trinity.Messaging.Contracts.Identity;

// The demo's driver plays the chat executors: it registers two subscriptions and three agents through the API,
// keeps two long turns in flight on every agent against the model-API simulator until subscription A runs out,
// reports each turn's 429 as a failure (with the fingerprint the turn started with), and watches the agents move
// to B by hot-reload. It prints a timeline and a summary; it exits non-zero if any turn was killed.
string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new InvalidOperationException($"{name} is required.");
var clock = Stopwatch.StartNew();
void Say(string line) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0}s] {line}");

using var api = new HttpClient { BaseAddress = new Uri(Required("TRINITY_DEMO_API")), Timeout = TimeSpan.FromSeconds(10) };
api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Required("Trinity__Api__AdminKey"));
using var modelApi = new HttpClient { BaseAddress = new Uri(Required("TRINITY_DEMO_MODEL_API")) };
using var agentsHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
var cipher = new SecretCipher(Required("Trinity__Encryption__Key"));
var dbOptions = new DbContextOptionsBuilder<TrinityDbContext>();
PersistenceRegistration.Configure(dbOptions, Required("Trinity__Postgres__ConnectionString"));
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);

string NewToken() => $"sk-ant-oat01-demo-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20))}";
var tokenA = NewToken();
var tokenB = NewToken();
async Task<Guid> AddSubscription(string name, string token)
{
    var response = await api.PostAsJsonAsync("/api/subscriptions", new { name, token });
    response.EnsureSuccessStatusCode();
    var created = await response.Content.ReadFromJsonAsync<JsonElement>();
    Say($"subscription {name}: fingerprint {created.GetProperty("fingerprint").GetString()}");
    return created.GetProperty("id").GetGuid();
}
var a = await AddSubscription("demo-a", tokenA);
var b = await AddSubscription("demo-b", tokenB);
// Subscription A's rate limit: enough for the first wave of turns, not for the second.
(await modelApi.PutAsync($"/simulator/budgets/{TokenFingerprint.Of(tokenA)}?requestsPerWindow=40", null)).EnsureSuccessStatusCode();

string[] agents = ["demo-1", "demo-2", "demo-3"];
// Free ports below the ephemeral range, chosen by the script: a port handed out in that range could be taken by a
// service bound to port 0 before the agent's container binds it.
var ports = Required("TRINITY_DEMO_AGENT_PORTS").Split(',');
for (var i = 0; i < agents.Length; i++)
    (await api.PostAsJsonAsync("/api/agents", new { name = agents[i], subscriptionId = a, baseUrl = $"http://127.0.0.1:{ports[i]}" })).EnsureSuccessStatusCode();
foreach (var agent in agents)
{
    await Until(async () => (await Describe(agent)).LiveFingerprint == TokenFingerprint.Of(tokenA), $"{agent} to start", TimeSpan.FromSeconds(90));
    Say($"{agent} runs in its own container on demo-a");
}

var turns = new List<DemoTurn>();
var reportedAt = new Dictionary<string, DateTimeOffset>();
var switched = new Dictionary<string, (DateTimeOffset At, string Method, TimeSpan Latency)>();
var deadline = DateTimeOffset.UtcNow.AddSeconds(100);
while (DateTimeOffset.UtcNow < deadline)
{
    foreach (var agent in agents)
    {
        var (baseUrl, key) = await Placement(agent);
        foreach (var turn in turns.Where(t => t.Agent == agent && t.EndedAt is null))
            await Follow(turn, baseUrl, key);
        // Like chat executors told to retry later: while an agent's subscription refuses its turns, only one turn
        // at a time is tried on it (there is always work in flight), until it has moved.
        var waitingForSwitch = !switched.ContainsKey(agent) && turns.Any(t => t.Agent == agent && t.Ending == "RateLimited");
        if (turns.Count(t => t.Agent == agent && t.EndedAt is null) < (waitingForSwitch ? 1 : 2) && !Finished(agent))
            await StartTurn(agent, baseUrl, key);
        var described = await Describe(agent);
        if (!switched.ContainsKey(agent) && described.LiveFingerprint == TokenFingerprint.Of(tokenB) && described.State == "Idle")
        {
            var at = DateTimeOffset.UtcNow;
            var latency = at - reportedAt.GetValueOrDefault(agent, at);
            switched[agent] = (at, described.Method ?? "?", latency);
            Say($"{agent} SWITCHED demo-a → demo-b by {described.Method}, {turns.Count(t => t.Agent == agent && t.EndedAt is null)} turns in flight, {latency.TotalMilliseconds:0} ms after the first report");
        }
    }
    if (agents.All(Finished))
        break;
    await Task.Delay(250);
}

// Let the turns in flight end by themselves: none is ever stopped by the demo.
await Until(async () =>
{
    foreach (var agent in agents)
    {
        var (baseUrl, key) = await Placement(agent);
        foreach (var turn in turns.Where(t => t.Agent == agent && t.EndedAt is null))
            await Follow(turn, baseUrl, key);
    }
    return turns.All(t => t.EndedAt is not null);
}, "the last turns to end", TimeSpan.FromSeconds(30));

var killed = turns.Count(t => t.Ending is "KilledBySignal" or "Lost");
Console.WriteLine();
Console.WriteLine("Summary");
Console.WriteLine($"  turns started      {turns.Count}");
Console.WriteLine($"  turns completed    {turns.Count(t => t.Ending == "Completed")}");
Console.WriteLine($"  turns rate-limited {turns.Count(t => t.Ending == "RateLimited")}");
Console.WriteLine($"  turns failed       {turns.Count(t => t.Ending == "Failed")}");
Console.WriteLine($"  turns killed       {killed}");
foreach (var agent in agents)
{
    var inFlight = switched.TryGetValue(agent, out var s) ? turns.Count(t => t.Agent == agent && t.StartedAt <= s.At && (t.EndedAt ?? DateTimeOffset.MaxValue) >= s.At.AddSeconds(-1)) : 0;
    Console.WriteLine(switched.ContainsKey(agent)
        ? $"  {agent}: switched by {s.Method} in {s.Latency.TotalMilliseconds:0} ms (report → live), {inFlight} turns in flight at the switch"
        : $"  {agent}: NOT switched");
}
var ok = killed == 0 && switched.Count == agents.Length && switched.Values.All(s => s.Method == "HotReload");
Console.WriteLine(ok ? "Demo passed: every agent moved by hot-reload and no turn was killed." : "Demo FAILED.");
return ok ? 0 : 1;

bool Finished(string agent) =>
    switched.TryGetValue(agent, out var s) && turns.Any(t => t.Agent == agent && t.Ending == "Completed" && t.StartedAt > s.At);

async Task StartTurn(string agent, string baseUrl, string key)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/api/turns") { Content = JsonContent.Create(new { prompt = "refactor the module", durationSeconds = 5 }) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    using var response = await agentsHttp.SendAsync(request);
    if (!response.IsSuccessStatusCode)
    {
        Say($"{agent} refused a turn: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return;
    }
    var started = await response.Content.ReadFromJsonAsync<JsonElement>(json);
    turns.Add(new DemoTurn { Agent = agent, Id = started.GetProperty("id").GetGuid(), Fingerprint = started.GetProperty("fingerprint").GetString(), StartedAt = DateTimeOffset.UtcNow });
    Say($"{agent} turn started on {(started.GetProperty("fingerprint").GetString() == TokenFingerprint.Of(tokenA) ? "demo-a" : "demo-b")}");
}

async Task Follow(DemoTurn turn, string baseUrl, string key)
{
    try
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{baseUrl}/api/turns/{turn.Id}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await agentsHttp.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            // The agent no longer knows the turn: its container was replaced under it.
            (turn.EndedAt, turn.Ending) = (DateTimeOffset.UtcNow, "Lost");
            return;
        }
        var state = await response.Content.ReadFromJsonAsync<JsonElement>(json);
        if (state.GetProperty("state").GetString() != "Ended")
            return;
        (turn.EndedAt, turn.Ending) = (DateTimeOffset.UtcNow, state.GetProperty("ending").GetString());
        Say($"{turn.Agent} turn ended: {turn.Ending}");
        if (turn.Ending == "RateLimited" && !turn.Reported)
        {
            turn.Reported = true;
            reportedAt.TryAdd(turn.Agent, DateTimeOffset.UtcNow);
            (await api.PostAsJsonAsync("/api/failures", new { agentName = turn.Agent, statusCode = 429, errorMessage = "429 rate_limit_error", source = "chat", tokenFingerprint = turn.Fingerprint })).EnsureSuccessStatusCode();
            Say($"{turn.Agent} 429 reported as a failure of the subscription its turn ran on");
        }
    }
    catch (HttpRequestException)
    {
        (turn.EndedAt, turn.Ending) = (DateTimeOffset.UtcNow, "Lost");
    }
}

async Task<(string BaseUrl, string Key)> Placement(string agent)
{
    await using var db = new TrinityDbContext(dbOptions.Options);
    var row = await db.Agents.AsNoTracking().SingleAsync(x => x.Name == agent);
    return (row.BaseUrl!, row.EncryptedControlKey is null ? "" : cipher.Decrypt(row.EncryptedControlKey));
}

async Task<(string? LiveFingerprint, string? State, string? Method)> Describe(string agent)
{
    var described = await api.GetFromJsonAsync<JsonElement>($"/api/agents/{agent}", json);
    var method = described.TryGetProperty("lastRotation", out var last) && last.ValueKind == JsonValueKind.Object ? last.GetProperty("method").GetString() : null;
    return (described.GetProperty("liveFingerprint").GetString(), described.GetProperty("state").GetString(), method);
}

static async Task Until(Func<Task<bool>> condition, string what, TimeSpan timeout)
{
    var limit = Stopwatch.StartNew();
    while (!await condition())
    {
        if (limit.Elapsed > timeout)
            throw new TimeoutException($"Gave up waiting for {what} after {timeout.TotalSeconds:0} s.");
        await Task.Delay(200);
    }
}
