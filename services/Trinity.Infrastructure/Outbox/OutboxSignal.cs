namespace Trinity.Infrastructure.Outbox;

/// <summary>Wakes the relay right after a commit, so latency is not the polling interval.</summary>
public sealed class OutboxSignal : IDisposable
{
    readonly SemaphoreSlim _pending = new(0, 1);

    public void Notify()
    {
        try
        {
            _pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled: one wake-up drains everything committed so far
        }
    }

    public void Dispose() => _pending.Dispose();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pending.WaitAsync(timeout, cancellationToken);
}
