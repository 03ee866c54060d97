using Trinity.AgentProtocol;
using Docker.DotNet.Models;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Infrastructure.Persistence.Entities;

namespace Trinity.ContainerManager.Services;

/// <summary>What a drain came to: how many turns were still running at its end, and whether the agent could be drained at all.</summary>
public readonly record struct DrainOutcome(int TurnsOutliving, bool Drained);

/// <summary>
/// Stops an agent admitting turns and waits for those in flight, up to the drain timeout. One slow or failed poll
/// never cuts the wait short — the agent keeps being asked until the timeout. The drain is renewed while it lasts,
/// so a drain whose manager died lapses on the agent by itself. An agent without the drain route (404) cannot be
/// drained: said so, and not waited for.
/// </summary>
public sealed class AgentDrain(AgentProtocolClient agents, IOptions<ContainerManagerOptions> options, ILogger<AgentDrain> logger)
{
    static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>Drains the agent when its container runs and it can be asked (<see cref="AgentPlacements.DrainKeyOf"/>); else it was not drained.</summary>
    public async Task<DrainOutcome> DrainIfRunningAsync(Agent agent, ContainerInspectResponse? container, AgentPlacements placements, TimeSpan drainTimeout,
        CancellationToken cancellationToken) =>
        container is { State.Running: true } && placements.DrainKeyOf(agent) is (true, var key)
            ? await DrainAsync(agent.Name, agent.BaseUrl!, key, drainTimeout, cancellationToken)
            : new DrainOutcome(0, Drained: false);

    public async Task<DrainOutcome> DrainAsync(string agentName, string baseUrl, string? controlKey, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + drainTimeout;
        var timeToLive = options.Value.DrainTimeToLive;
        DateTimeOffset? renewedAt = null;
        int? running = null;
        while (true)
        {
            if (renewedAt is null || DateTimeOffset.UtcNow - renewedAt > timeToLive / 3)
            {
                switch (await TryAsync(() => agents.DrainAsync(baseUrl, controlKey, timeToLive, cancellationToken), agentName, "drain"))
                {
                    case HttpStatusCode.NotFound:
                        logger.LogWarning("Agent {AgentName} has no drain route (an image without it): its turns cannot be waited for", agentName);
                        return new DrainOutcome(0, Drained: false);
                    case HttpStatusCode.OK:
                        renewedAt = DateTimeOffset.UtcNow;
                        break;
                }
            }
            if (renewedAt is not null)
            {
                try
                {
                    running = await agents.RunningTurnsAsync(baseUrl, controlKey, cancellationToken);
                    if (running == 0)
                        return new DrainOutcome(0, Drained: true);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    logger.LogWarning("Agent {AgentName}: asking for its turns failed ({Error}); still waiting for them", agentName, ex.Message);
                }
            }
            if (DateTimeOffset.UtcNow >= deadline)
            {
                if (renewedAt is null)
                    logger.LogWarning("Agent {AgentName} could not be asked to drain within {DrainTimeout}; recreating without a drain", agentName, drainTimeout);
                return new DrainOutcome(running ?? 0, Drained: renewedAt is not null);
            }
            await Task.Delay(PollEvery, cancellationToken);
        }
    }

    async Task<HttpStatusCode?> TryAsync(Func<Task<HttpStatusCode>> call, string agentName, string what)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Agent {AgentName}: {What} failed ({Error}); trying again", agentName, what, ex.Message);
            return null;
        }
    }
}
