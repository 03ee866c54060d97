using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Orchestrator.FanOut;

/// <summary>
/// A new key for a subscription, its removal or its disabling reaches every agent on it: one
/// <see cref="AgentTokenRefreshRequested"/> per agent, to that agent's own state machine, all in one transaction.
/// Each agent then rotates on its own, in parallel, so one agent's failure never blocks the others.
/// </summary>
public sealed class SubscriptionChangeFanOut(
    TrinityDbContext db,
    OutboxWriter outbox,
    ILogger<SubscriptionChangeFanOut> logger) : IConsumer<SubscriptionKeyRolledOver>, IConsumer<SubscriptionRemoved>, IConsumer<SubscriptionDisabled>
{
    public Task Consume(ConsumeContext<SubscriptionKeyRolledOver> context) =>
        FanOutAsync(context.Message.SubscriptionId, context.Message.KeyVersion, TokenRefreshReason.Rollover, context);

    public Task Consume(ConsumeContext<SubscriptionRemoved> context) =>
        FanOutAsync(context.Message.SubscriptionId, 0, TokenRefreshReason.Removal, context);

    public Task Consume(ConsumeContext<SubscriptionDisabled> context) =>
        FanOutAsync(context.Message.SubscriptionId, 0, TokenRefreshReason.Disabled, context);

    async Task FanOutAsync(Guid subscriptionId, int keyVersion, TokenRefreshReason reason, ConsumeContext context)
    {
        var agents = await db.Agents
            .Where(a => a.SubscriptionId == subscriptionId && a.DeletedAt == null)
            .Select(a => a.Name)
            .ToListAsync(context.CancellationToken);
        // One causation per change, so a redelivered change maps to the same rotations and is not applied twice.
        var causationId = context.MessageId ?? NewId.NextGuid();
        foreach (var agent in agents)
        {
            outbox.Publish(new AgentTokenRefreshRequested
            {
                AgentName = agent,
                SubscriptionId = subscriptionId,
                KeyVersion = keyVersion,
                Reason = reason,
                CausationId = causationId,
            }, AgentIdentity.For(agent));
        }
        await outbox.SaveAndSendAsync(transaction: null, context.CancellationToken);
        logger.LogInformation("{Reason} of subscription {SubscriptionId} fans out to {Count} agents", reason, subscriptionId, agents.Count);
    }
}
