using System.Diagnostics;
using MassTransit;
using Trinity.ContainerManager.Services;
using Trinity.Infrastructure.Observability;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Consumers;

/// <summary>Carries out a <see cref="RecreateContainer"/> and tells the agent's state machine how it went.</summary>
public sealed class RecreateContainerConsumer(AgentRecreate recreator) : IConsumer<RecreateContainer>
{
    public async Task Consume(ConsumeContext<RecreateContainer> context)
    {
        var command = context.Message;
        var agentName = AgentName.Normalize(command.AgentName);
        var recreating = Stopwatch.StartNew();
        var result = await recreator.RecreateAsync(agentName, command.RotationId, command.FencingToken, command.DrainTimeout, context.CancellationToken);
        TrinityMetrics.ContainerRecreated(result.GetType().Name.ToLowerInvariant(), recreating.Elapsed);
        object answer = result switch
        {
            RecreateResult.Recreated r => new ContainerRecreated
            {
                RotationId = command.RotationId, AgentName = agentName, OldContainerId = r.OldContainerId, NewContainerId = r.NewContainerId, TurnsOutlivingDrain = r.TurnsOutlivingDrain,
                Drained = r.Drained,
            },
            RecreateResult.NoContainer => new ContainerRecreateSkipped { RotationId = command.RotationId, AgentName = agentName, Reason = RecreateSkipReason.NoContainer },
            RecreateResult.NotRunning => new ContainerRecreateSkipped { RotationId = command.RotationId, AgentName = agentName, Reason = RecreateSkipReason.NotRunning },
            RecreateResult.Refused r => new TokenRotationFailed { RotationId = command.RotationId, AgentName = agentName, Reason = r.Reason, Detail = r.Detail },
            RecreateResult.Failed r => new TokenRotationFailed { RotationId = command.RotationId, AgentName = agentName, Reason = RotationFailureReason.RecreateFailed, Detail = r.Detail },
            _ => throw new InvalidOperationException($"Unexpected result {result}"),
        };
        await context.Publish(answer, answer.GetType());
    }
}
