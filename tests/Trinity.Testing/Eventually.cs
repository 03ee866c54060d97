using System.Diagnostics;

namespace Trinity.Testing;

/// <summary>Waits poll against a deadline; a test never sleeps a fixed time to "let things settle".</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        T last;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                if (done(last))
                    return last;
                lastError = null;
            }
            catch (Exception ex)
            {
                last = default!;
                lastError = ex;
            }
            if (deadline.Elapsed > limit)
                throw new TimeoutException($"Waited {limit.TotalSeconds:0} s for {what}; last value: {last}{(lastError is null ? "" : $"; last error: {lastError.Message}")}");
            await Task.Delay(100);
        }
    }

    public static Task Until(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Until(condition, done => done, what, timeout);

    public static Task Until(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Until(() => Task.FromResult(condition()), done => done, what, timeout);
}
