using Microsoft.Extensions.Logging;
using Trinity.Infrastructure.Locking;

namespace Trinity.ContainerManager.Services;

/// <summary>
/// Holds an agent's lease while long work runs (a drain can take minutes): taken over from the rotation that owns
/// it (which releases it when the rotation ends), or taken for work of the manager's own (a start), which releases
/// it when done — a lease left to expire would hold every rotation of the agent back until it does.
/// </summary>
public sealed class LeaseRenewal : IAsyncDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;
    readonly Func<Task>? _release;

    readonly AgentLease _lease;
    readonly string _agentName;
    readonly Guid _owner;

    LeaseRenewal(AgentLease lease, string agentName, Guid owner, TimeSpan every, ILogger logger, bool releaseWhenDone)
    {
        (_lease, _agentName, _owner) = (lease, agentName, owner);
        _release = releaseWhenDone ? () => lease.ReleaseAsync(agentName, owner) : null;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every, _stop.Token);
                    if (!await lease.ExtendAsync(agentName, owner, every * 3))
                        logger.LogWarning("Lease of agent {AgentName} was lost by rotation {RotationId} while a recreate works", agentName, owner);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception ex)
                {
                    logger.LogWarning("Renewing the lease of agent {AgentName} failed: {Error}", agentName, ex.Message);
                }
            }
        });
    }

    public static async Task<LeaseRenewal> TakeOverAsync(AgentLease lease, string agentName, Guid owner, TimeSpan every, ILogger logger,
        bool releaseWhenDone = false)
    {
        if (!await lease.TryAcquireAsync(agentName, owner, every * 3))
            throw new AgentLeaseUnavailableException(agentName, await lease.OwnerAsync(agentName));
        return new LeaseRenewal(lease, agentName, owner, every, logger, releaseWhenDone);
    }

    /// <summary>Asks Redis whether the lease is still this work's: a renewal that failed, a failover that lost it, another actor that took it.</summary>
    public async Task<bool> StillHeldAsync() => await _lease.OwnerAsync(_agentName) == _owner;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        if (_release is not null)
            await _release();
    }
}
