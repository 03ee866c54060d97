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
        // Where the agent is placed now: the new host, or — its placement unchanged — this one.
        string host;
        switch (result)
        {
            case MoveResult.Refused refused:
                logger.LogError("Agent {AgentName} is not moved to Docker host {ToHost}: {Reason}", agentName, command.ToHost, refused.Reason);
                return;
            case MoveResult.StaysHere stays:
                logger.LogError("Agent {AgentName} could not be moved to Docker host {ToHost}: {Reason}; it stays on {Host} and is started there again",
                    agentName, command.ToHost, stays.Reason, move.Host);
                host = move.Host;
                break;
            case MoveResult.AlreadyThere there:
                host = there.Host;
                break;
            case MoveResult.Moved moved:
                host = moved.ToHost;
                break;
            default:
                throw new InvalidOperationException($"Unexpected result {result}");
        }
        var starts = await context.GetSendEndpoint(EntityNames.QueueAddress(EntityNames.Queues.ContainerStartsOf(host)));
        await starts.Send(new StartAgentContainer { AgentName = agentName }, send => send.MustReachAQueue());
        if (result is MoveResult.Moved m)
            await context.Publish(new AgentContainerMoved
            {
                RequestId = command.RequestId, AgentName = agentName, FromHost = m.FromHost, ToHost = m.ToHost, BaseUrl = m.BaseUrl,
                OldContainerId = m.OldContainerId, WorkspaceVolumeLeftBehind = m.VolumeLeftBehind,
                TurnsOutlivingDrain = m.Drain.TurnsOutliving, Drained = m.Drain.Drained,
            });
    }
}
