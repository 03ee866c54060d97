using MassTransit;
using Trinity.ContainerManager.Services;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Consumers;

/// <summary>Carries out a <see cref="RemoveAgentContainer"/> for a deleted agent and tells its state machine how it went.</summary>
public sealed class RemoveAgentContainerConsumer(AgentRemoval removal) : IConsumer<RemoveAgentContainer>
{
    public async Task Consume(ConsumeContext<RemoveAgentContainer> context)
    {
        var command = context.Message;
        var agentName = AgentName.Normalize(command.AgentName);
        var result = await removal.RemoveAsync(agentName, command.RotationId, command.FencingToken, command.DrainTimeout, context.CancellationToken);
        object answer = result switch
        {
            RemovalResult.Removed r => new AgentContainerRemoved
            {
                RotationId = command.RotationId, AgentName = agentName, ContainerId = r.ContainerId, TurnsOutlivingDrain = r.TurnsOutlivingDrain, Drained = r.Drained,
            },
            RemovalResult.Refused r => new TokenRotationFailed { RotationId = command.RotationId, AgentName = agentName, Reason = r.Reason, Detail = r.Detail },
            RemovalResult.Failed r => new TokenRotationFailed { RotationId = command.RotationId, AgentName = agentName, Reason = RotationFailureReason.RemovalFailed, Detail = r.Detail },
            _ => throw new InvalidOperationException($"Unexpected result {result}"),
        };
        await context.Publish(answer, answer.GetType());
    }
}
