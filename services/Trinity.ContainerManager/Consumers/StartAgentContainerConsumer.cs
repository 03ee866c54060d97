using MassTransit;
using Microsoft.Extensions.Logging;
using Trinity.ContainerManager.Services;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Consumers;

/// <summary>Creates or starts an agent's container from the database's view, and says so with <see cref="AgentContainerStarted"/>.</summary>
public sealed class StartAgentContainerConsumer(AgentStart containers, ILogger<StartAgentContainerConsumer> logger) : IConsumer<StartAgentContainer>
{
    public async Task Consume(ConsumeContext<StartAgentContainer> context)
    {
        var agentName = AgentName.Normalize(context.Message.AgentName);
        // The start holds the agent's lease like a rotation would; redelivered, it finds the lease it already took.
        var owner = AgentIdentity.NameBased(AgentIdentity.For(agentName), $"start:{context.MessageId}");
        switch (await containers.StartAsync(agentName, owner, context.CancellationToken))
        {
            case StartResult.Started started:
                await context.Publish(new AgentContainerStarted { AgentName = agentName, ContainerId = started.ContainerId });
                break;
            case StartResult.Refused refused:
                logger.LogError("Agent {AgentName} cannot be started: {Reason}", agentName, refused.Reason);
                break;
        }
    }
}
