using MassTransit;
using Microsoft.Extensions.Logging;
using Trinity.ContainerManager.Services;
using Trinity.Infrastructure.Bus;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Consumers;

/// <summary>
/// Carries out an operator's <see cref="MoveAgentContainer"/> on the host the agent leaves, then sends its start to the
/// host it goes to (after the consumer ends: a crash before is redelivered, finds the agent placed there, and sends it again).
/// </summary>
public sealed class MoveAgentContainerConsumer(AgentMove move, ILogger<MoveAgentContainerConsumer> logger) : IConsumer<MoveAgentContainer>
{
    public async Task Consume(ConsumeContext<MoveAgentContainer> context)
    {
        var command = context.Message;
        var agentName = AgentName.Normalize(command.AgentName);
        var owner = AgentIdentity.NameBased(AgentIdentity.For(agentName), $"move:{command.RequestId}");
        var result = await move.MoveAsync(agentName, command.ToHost, owner, command.DrainTimeout, context.CancellationToken);
        if (result is MoveResult.Refused refused)
        {
            logger.LogError("Agent {AgentName} cannot be moved to Docker host {ToHost}: {Reason}", agentName, command.ToHost, refused.Reason);
            return;
        }
        var starts = await context.GetSendEndpoint(EntityNames.QueueAddress(EntityNames.Queues.ContainerStartsOf(command.ToHost)));
        await starts.Send(new StartAgentContainer { AgentName = agentName }, send => send.MustReachAQueue());
        if (result is MoveResult.Moved moved)
            await context.Publish(new AgentContainerMoved
            {
                RequestId = command.RequestId, AgentName = agentName, FromHost = moved.FromHost, ToHost = command.ToHost, BaseUrl = moved.BaseUrl,
                OldContainerId = moved.OldContainerId, WorkspaceVolumeLeftBehind = moved.VolumeLeftBehind,
                TurnsOutlivingDrain = moved.Drain.TurnsOutliving, Drained = moved.Drain.Drained,
            });
    }
}
