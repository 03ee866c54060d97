using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.Hosting.Faults;
using Trinity.Infrastructure.Bus;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Secrets;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.RotationWorker.Configuration;
using Trinity.RotationWorker.Services;

namespace Trinity.RotationWorker.Consumers;

/// <summary>
/// Hot-reloads one agent: reads its placement, loads the token from PostgreSQL at the moment of use, POSTs it
/// with the agent's control key and reads the live fingerprint back. Falls back to a drained recreate by
/// itself where hot-reload cannot work, and says so. Never talks to Docker. A redelivery re-sends the same
/// token, which changes nothing on the agent; the saga ignores the second answer.
/// </summary>
public sealed class ReloadTokenConsumer(
    TrinityDbContext db,
    SecretCipher cipher,
    AgentEndpointClient agents,
    FaultPoints faults,
    IOptions<RotationWorkerOptions> options,
    ILogger<ReloadTokenConsumer> logger) : IConsumer<ReloadToken>
{
    public async Task Consume(ConsumeContext<ReloadToken> context)
    {
        var command = context.Message;
        var agentName = AgentName.Normalize(command.AgentName);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RotationId"] = command.RotationId, ["AgentName"] = agentName });
        await faults.ReachedAsync("reload-received", context.CancellationToken);

        var agent = await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Name == agentName && a.DeletedAt == null, context.CancellationToken);
        if (agent is { BaseUrl: null, ContainerId: null })
        {
            // Nothing runs this agent: there is nothing to reload or recreate, and its next start bakes the database's token.
            logger.LogInformation("Agent {AgentName} has no placement at all: rotation {RotationId} is skipped", agentName, command.RotationId);
            await context.Publish(new ContainerRecreateSkipped { RotationId = command.RotationId, AgentName = agentName, Reason = RecreateSkipReason.NoContainer });
            return;
        }
        // A managed agent gets its control key when its container starts; an adopted or unmanaged one may have none (a reference agent).
        if (agent?.BaseUrl is null || agent is { Kind: AgentKind.Managed, EncryptedControlKey: null })
        {
            await FailAsync(context, RotationFailureReason.NoPlacement, "the agent has no placement (base URL and control key)");
            return;
        }

        if (agent.FencingToken != command.FencingToken)
        {
            await FailAsync(context, RotationFailureReason.FencingTokenStale,
                $"fencing token {command.FencingToken} is older than the agent's {agent.FencingToken}: a newer rotation owns the agent");
            return;
        }

        var subscription = await db.Subscriptions.AsNoTracking()
            .SingleOrDefaultAsync(s => s.Id == command.SubscriptionId && s.DeletedAt == null, context.CancellationToken);
        if (subscription is null)
        {
            await FallBackAsync(context, agent, FallbackReason.NoToken, "its subscription is gone");
            return;
        }

        var calling = Stopwatch.StartNew();
        var result = await agents.ReloadAsync(agent.BaseUrl, agent.EncryptedControlKey is null ? null : cipher.Decrypt(agent.EncryptedControlKey), cipher.Decrypt(subscription.EncryptedToken),
            command.FencingToken, context.CancellationToken);
        TrinityMetrics.AgentReloadCalled(JsonNamingPolicy.KebabCaseLower.ConvertName(result.Answer.ToString()), calling.Elapsed);
        await faults.ReachedAsync("reload-answered", context.CancellationToken);
        switch (result.Answer)
        {
            case ReloadAnswer.Reloaded:
                logger.LogInformation("Agent {AgentName} reloaded; live fingerprint {Fingerprint}", agentName, result.LiveFingerprint ?? "not reported");
                await context.Publish(new TokenReloaded { RotationId = command.RotationId, AgentName = agentName, TokenFingerprint = result.LiveFingerprint });
                break;
            case ReloadAnswer.Rejected:
                await FailAsync(context, RotationFailureReason.Rejected, result.StatusCode == 200
                    ? "the agent answered 200 without \"reloaded\": true; not recreating, which would hide a bug"
                    : $"the agent answered {result.StatusCode}; not recreating, which would hide a bug or a wrong key");
                break;
            case ReloadAnswer.Stale:
                await FailAsync(context, RotationFailureReason.FencingTokenStale,
                    $"the agent refused fence {command.FencingToken}: it accepted a newer rotation's reload already");
                break;
            case ReloadAnswer.EndpointMissing:
                await FallBackAsync(context, agent, FallbackReason.EndpointMissing, "it has no reload endpoint (404: an image from before it)");
                break;
            case ReloadAnswer.AgentError:
                await FallBackAsync(context, agent, FallbackReason.AgentError, $"it answered {result.StatusCode}");
                break;
            default:
                await FallBackAsync(context, agent, FallbackReason.Unreachable, "it could not be reached");
                break;
        }
    }

    async Task FailAsync(ConsumeContext<ReloadToken> context, RotationFailureReason reason, string detail)
    {
        logger.LogWarning("Rotation {RotationId} of agent {AgentName} failed: {Reason} ({Detail})", context.Message.RotationId, context.Message.AgentName, reason, detail);
        await context.Publish(new TokenRotationFailed { RotationId = context.Message.RotationId, AgentName = context.Message.AgentName, Reason = reason, Detail = detail });
    }

    async Task FallBackAsync(ConsumeContext<ReloadToken> context, Agent agent, FallbackReason reason, string why)
    {
        // An unmanaged agent's container is its owner's: nothing to recreate, a failure the back-off tries again.
        if (agent.Kind == AgentKind.Unmanaged)
        {
            await FailAsync(context, RotationFailureReason.CannotRecreate, $"the hot-reload did not land: {why}; agent {agent.Name} is unmanaged, so it is not recreated");
            return;
        }
        logger.LogWarning("Rotation {RotationId} of agent {AgentName} falls back to a drained recreate: {Reason}", context.Message.RotationId, context.Message.AgentName, reason);
        var containerManager = await context.GetSendEndpoint(EntityNames.QueueAddress(EntityNames.Queues.ContainerManagerOf(agent.DockerHost)));
        await containerManager.Send(new RecreateContainer
        {
            RotationId = context.Message.RotationId,
            AgentName = context.Message.AgentName,
            Reason = $"hot-reload fell back: {reason}",
            DrainTimeout = options.Value.DrainTimeout,
            FencingToken = context.Message.FencingToken,
        }, send => send.MustReachAQueue());
        await context.Publish(new TokenReloadFellBack
        {
            RotationId = context.Message.RotationId,
            AgentName = context.Message.AgentName,
            Reason = reason,
            DrainTimeout = options.Value.DrainTimeout,
        });
    }
}
