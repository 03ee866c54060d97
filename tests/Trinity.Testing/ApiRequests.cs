using System.Net.Http.Json;
using System.Text.Json;

namespace Trinity.Testing;

/// <summary>What scenarios ask of the HTTP API the way an operator would (the client from <see cref="TrinityTestSystem.StartApiAsync"/>).</summary>
public static class ApiRequests
{
    /// <summary>Adds the subscription, or puts a new token on it (a rollover); its id.</summary>
    public static async Task<Guid> UpsertSubscriptionAsync(this HttpClient api, string name, string token)
    {
        using var response = await api.PostAsJsonAsync("/api/subscriptions", new { name, token });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}
