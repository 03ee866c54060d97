using System.Net.Http.Json;

namespace Trinity.Testing;

public sealed record TurnView(Guid Id, string? Fingerprint, string State, string? Ending, int? ExitCode, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Output);

/// <summary>The turn routes of an agent server, as a chat executor uses them.</summary>
public static class AgentTurns
{
    public static async Task<TurnView> StartTurnAsync(this AgentClient agent, string prompt = "work", int? durationSeconds = null)
    {
        using var response = await agent.SendAsync(HttpMethod.Post, "/api/turns", new { prompt, durationSeconds });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Turn refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<TurnView>())!;
    }

    public static async Task<TurnView> TurnAsync(this AgentClient agent, Guid id)
    {
        using var response = await agent.SendAsync(HttpMethod.Get, $"/api/turns/{id}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TurnView>())!;
    }

    public static Task<TurnView> WaitForTurnToEndAsync(this AgentClient agent, Guid id, TimeSpan? timeout = null) =>
        Eventually.Until(() => agent.TurnAsync(id), turn => turn.State == "Ended", $"turn {id} to end", timeout);
}
