using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.AgentProtocol;
using Trinity.ContainerManager.Configuration;
using Trinity.ContainerManager.Services;
using Trinity.Infrastructure.Persistence;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Consumers;

/// <summary>
/// Reads an agent's override file back through the Docker API (no process runs in the container, nothing is on a
/// command line) and answers with its fingerprint only: how a reload of an agent that does not report what it runs
/// — the reference agent — is observed. Touches nothing; needs no lease.
/// </summary>
public sealed class ReadOverrideFileConsumer(TrinityDbContext db, DockerAgentContainers containers, IOptions<ContainerManagerOptions> options,
    ILogger<ReadOverrideFileConsumer> logger)
    : IConsumer<ReadOverrideFile>
{
    public async Task Consume(ConsumeContext<ReadOverrideFile> context)
    {
        var command = context.Message;
        var agentName = AgentName.Normalize(command.AgentName);
        var placement = await db.Agents.AsNoTracking().Where(a => a.Name == agentName && a.DeletedAt == null).Select(a => new { a.ContainerId, a.DockerHost })
            .SingleOrDefaultAsync(context.CancellationToken);
        var containerId = placement?.ContainerId;
        var (fingerprint, detail) = placement is not null && placement.DockerHost != options.Value.Host
                ? (null, $"the agent is placed on Docker host {placement.DockerHost}, not on {options.Value.Host}, whose manager read this")
            : containerId is null ? (null, "the agent has no container")
            : await containers.InspectAsync(containerId, context.CancellationToken) is null ? (null, $"its container {AgentPlacements.Short(containerId)} is gone")
            : await containers.ReadFileAsync(containerId, AgentVariables.OverrideFile, context.CancellationToken) switch
            {
                null => (null, $"its container has no {AgentVariables.OverrideFile}"),
                { } text when string.IsNullOrWhiteSpace(text) => (null, $"its {AgentVariables.OverrideFile} is empty"),
                { } text => (TokenFingerprint.Of(text.Trim()), null as string),
            };
        logger.LogInformation("Agent {AgentName}: override file read for rotation {RotationId}: fingerprint {Fingerprint} {Detail}",
            agentName, command.RotationId, fingerprint, detail);
        await context.Publish(new OverrideFileRead { RotationId = command.RotationId, AgentName = agentName, TokenFingerprint = fingerprint, Detail = detail });
    }
}
