using Trinity.AgentProtocol;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trinity.ContainerManager.Configuration;
using Trinity.Hosting.Faults;
using Trinity.Infrastructure.Locking;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Secrets;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.ContainerManager.Services;

/// <summary>
/// Recreates an agent's container without killing its work, step by step with a journal: inspect (and journal the old
/// configuration), drain, stop, remove, create, start, healthy. Before each destructive step it checks that it still
/// holds the agent's lease and that no newer rotation took the agent; when it does not, or when anything fails, it
/// puts the agent back — admission resumed, the old container started again, or recreated from the journal — so the
/// agent always ends with a running container. A manager killed half-way resumes from the journal when the command is
/// redelivered; a journal that nothing resumes is put back by the next command for the agent.
/// </summary>
public sealed class AgentRecreate(
    TrinityDbContext db,
    SecretCipher cipher,
    AgentLease lease,
    AgentPlacements placements,
    DockerAgentContainers containers,
    AgentDrain drain,
    AgentProtocolClient agents,
    RecreateJournal journal,
    FaultPoints faults,
    IOptions<ContainerManagerOptions> options,
    ILogger<AgentRecreate> logger)
{
    public async Task<RecreateResult> RecreateAsync(string agentName, Guid rotationId, long fencingToken, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.SingleOrDefaultAsync(a => a.Name == agentName && a.DeletedAt == null, cancellationToken);
        if (agent is null)
            return new RecreateResult.Refused(RotationFailureReason.NoPlacement, "the agent is not registered");
        if (placements.ElsewhereThan(agent) is { } elsewhere)
            return new RecreateResult.Refused(RotationFailureReason.NoPlacement, elsewhere);
        if (agent.Kind == AgentKind.Unmanaged)
            return new RecreateResult.Refused(RotationFailureReason.CannotRecreate,
                $"agent {agentName} is unmanaged: this system reloads it but never recreates it, so its credential variables stay as its owner set them");

        await using var renewal = await LeaseRenewal.TakeOverAsync(lease, agentName, rotationId, options.Value.LeaseRenewal, logger);
        var entry = await journal.FindAsync(agentName, cancellationToken);
        if (entry is not null && (entry.RotationId != rotationId || agent.FencingToken != fencingToken))
        {
            await PutBackAsync(agent, entry, $"recreate {entry.RotationId} stopped at {entry.Step} and is not carried on", cancellationToken);
            entry = null;
        }
        if (agent.FencingToken != fencingToken)
            return new RecreateResult.Refused(RotationFailureReason.FencingTokenStale, $"fencing token {fencingToken} is older than the agent's {agent.FencingToken}");

        if (entry is null)
        {
            if (agent.LastRecreateRotationId == rotationId && agent.ContainerId is not null)
                return new RecreateResult.Recreated(agent.ContainerId, agent.ContainerId, 0, Drained: true);
            var old = agent.ContainerId is null ? null : await containers.InspectAsync(agent.ContainerId, cancellationToken);
            // An adopted container's next start is its owner's, with the environment and override file it had: not a skip.
            if (agent.Kind == AgentKind.Adopted && old is not { State.Running: true })
                return new RecreateResult.Refused(RotationFailureReason.CannotRecreate, old is null
                    ? $"the adopted container {AgentPlacements.Short(agent.ContainerId ?? "")} is gone: adopt the one that replaced it"
                    : $"the adopted container {AgentPlacements.Short(old.ID)} is stopped, and its owner's start would bring its old token back: start it, and the reconciler reloads it");
            if (old is null)
            {
                logger.LogInformation("Agent {AgentName} has no container: rotation {RotationId} is skipped; its next start bakes the database's token", agentName, rotationId);
                return new RecreateResult.NoContainer();
            }
            if (!old.State.Running)
            {
                // An operator reading this at 3 a.m. learns the agent is down, not only that its switch was skipped.
                logger.LogWarning("Agent {AgentName}: its container {ContainerId} is not running ({Status}, exit code {ExitCode}): rotation {RotationId} is skipped; its next start bakes the database's token",
                    agentName, AgentPlacements.Short(old.ID), old.State.Status, old.State.ExitCode, rotationId);
                return new RecreateResult.NotRunning();
            }
            entry = await journal.BeginAsync(agentName, rotationId, old, cancellationToken);
        }
        else
        {
            logger.LogWarning("Agent {AgentName}: resuming recreate {RotationId} after {Step}", agentName, rotationId, entry.Step);
        }
        return await CarryOnAsync(agent, entry, renewal, drainTimeout, cancellationToken);
    }

    /// <summary>For a start: a recreate that stopped half-way and that nothing resumes is put back first, so the agent keeps its configuration.</summary>
    public async Task PutBackHalfWayAsync(Agent agent, CancellationToken cancellationToken)
    {
        if (await journal.FindAsync(agent.Name, cancellationToken) is { } entry)
            await PutBackAsync(agent, entry, $"recreate {entry.RotationId} stopped at {entry.Step} and a start came first", cancellationToken);
    }

    async Task<RecreateResult> CarryOnAsync(Agent agent, RecreateJournalEntry entry, LeaseRenewal renewal, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var old = journal.OldContainer(entry);
        try
        {
            if (entry.Step < RecreateStep.Drained)
            {
                if (placements.DrainKeyOf(agent) is (true, var key))
                {
                    var drained = await drain.DrainAsync(agent.Name, agent.BaseUrl!, key, drainTimeout, cancellationToken);
                    (entry.TurnsOutlivingDrain, entry.Drained) = (drained.TurnsOutliving, drained.Drained);
                }
                await AdvanceAsync(entry, RecreateStep.Drained, cancellationToken);
            }
            if (entry.Step < RecreateStep.Stopped)
            {
                if (await placements.WhyNotOursAsync(renewal, agent, entry.Step.ToString(), cancellationToken) is { } lost)
                    return await GiveUpAsync(agent, entry, lost, cancellationToken);
                await containers.StopAsync(entry.OldContainerId, cancellationToken);
                await AdvanceAsync(entry, RecreateStep.Stopped, cancellationToken);
            }
            if (entry.Step < RecreateStep.Removed)
            {
                if (await placements.WhyNotOursAsync(renewal, agent, entry.Step.ToString(), cancellationToken) is { } lost)
                    return await GiveUpAsync(agent, entry, lost, cancellationToken);
                await containers.RemoveAsync(entry.OldContainerId, cancellationToken);
                await AdvanceAsync(entry, RecreateStep.Removed, cancellationToken);
            }
            if (entry.Step < RecreateStep.Created)
            {
                if (await placements.WhyNotOursAsync(renewal, agent, entry.Step.ToString(), cancellationToken) is { } lost)
                    return await GiveUpAsync(agent, entry, lost, cancellationToken);
                // A container half-created by a manager that died here carries the name: it goes first.
                await containers.RemoveAsync(old.Name.TrimStart('/'), cancellationToken);
                var key = AgentPlacements.NewControlKey();
                var environment = await placements.EnvironmentAsync(old.Config.Env ?? [], agent, key, cancellationToken);
                entry.NewContainerId = await containers.CreateLikeAsync(old, old.Config.Image, environment, cancellationToken);
                entry.EncryptedNewControlKey = cipher.Encrypt(key);
                await AdvanceAsync(entry, RecreateStep.Created, cancellationToken);
            }
            if (entry.Step < RecreateStep.Started)
            {
                if (await placements.WhyNotOursAsync(renewal, agent, entry.Step.ToString(), cancellationToken) is { } lost)
                    return await GiveUpAsync(agent, entry, lost, cancellationToken);
                await containers.StartAsync(entry.NewContainerId!, cancellationToken);
                await AdvanceAsync(entry, RecreateStep.Started, cancellationToken);
            }
            await containers.WaitUntilHealthyAsync(agent.BaseUrl, cancellationToken);
            await placements.RecordAsync(agent, entry.NewContainerId!, entry.EncryptedNewControlKey, entry.RotationId, agent.FencingToken, cancellationToken);
            await journal.EndAsync(entry, cancellationToken);
            logger.LogInformation("Agent {AgentName} recreated: {Old} → {New}; {Outliving} turns outlived the drain", agent.Name,
                AgentPlacements.Short(entry.OldContainerId), AgentPlacements.Short(entry.NewContainerId!), entry.TurnsOutlivingDrain);
            return new RecreateResult.Recreated(entry.OldContainerId, entry.NewContainerId!, entry.TurnsOutlivingDrain, entry.Drained);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return await GiveUpAsync(agent, entry, $"{ex.GetType().Name} after {entry.Step}: {ex.Message}", cancellationToken);
        }
    }

    async Task AdvanceAsync(RecreateJournalEntry entry, RecreateStep step, CancellationToken cancellationToken)
    {
        await journal.AdvanceAsync(entry, step, cancellationToken);
        // Named after the step just done: a fault test crashes, fails or pauses the manager right there.
        await faults.ReachedAsync($"recreate-{step.ToString().ToLowerInvariant()}", cancellationToken);
    }

    async Task<RecreateResult> GiveUpAsync(Agent agent, RecreateJournalEntry entry, string why, CancellationToken cancellationToken)
    {
        var restored = await PutBackAsync(agent, entry, why, cancellationToken);
        return new RecreateResult.Failed($"{why}; {restored}");
    }

    /// <summary>Puts the agent back as it was before the recreate, whatever step it reached, then ends the journal.</summary>
    async Task<string> PutBackAsync(Agent agent, RecreateJournalEntry entry, string why, CancellationToken cancellationToken)
    {
        logger.LogError("Recreate {RotationId} of agent {AgentName} stops ({Why}); putting the agent back", entry.RotationId, agent.Name, why);
        string restored;
        if (entry.Step <= RecreateStep.Drained)
        {
            if (placements.DrainKeyOf(agent) is (true, var key) && (key is not null || entry.Drained))
                await agents.ResumeAsync(agent.BaseUrl!, key, cancellationToken);
            restored = "nothing was stopped; the agent admits turns again";
        }
        else if (entry.Step == RecreateStep.Stopped && await containers.InspectAsync(entry.OldContainerId, cancellationToken) is not null)
        {
            await containers.StartAsync(entry.OldContainerId, cancellationToken);
            await containers.WaitUntilHealthyAsync(agent.BaseUrl, cancellationToken);
            restored = $"the old container {AgentPlacements.Short(entry.OldContainerId)} was started again";
        }
        else
        {
            var old = journal.OldContainer(entry);
            if (entry.NewContainerId is not null)
                await containers.RemoveAsync(entry.NewContainerId, cancellationToken);
            await containers.RemoveAsync(old.Name.TrimStart('/'), cancellationToken);
            // Pinned to the exact image the old container ran, with its own environment (and so its own control key),
            // but today's fence: the reloads it already refused stay refused.
            var environment = AgentEnvironment.WithFence(old.Config.Env ?? [], await placements.FenceOfAsync(agent.Name, cancellationToken));
            var id = await containers.CreateLikeAsync(old, old.Image, environment, cancellationToken);
            await containers.StartAsync(id, cancellationToken);
            await containers.WaitUntilHealthyAsync(agent.BaseUrl, cancellationToken);
            await placements.RecordPutBackAsync(agent, id, cancellationToken);
            restored = $"the previous configuration was restored from the journal as container {AgentPlacements.Short(id)}";
        }
        await journal.EndAsync(entry, cancellationToken);
        logger.LogWarning("Agent {AgentName} put back: {Restored}", agent.Name, restored);
        return restored;
    }
}
