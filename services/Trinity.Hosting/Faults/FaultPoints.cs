using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Trinity.Hosting.Faults;

/// <summary>
/// The named steps at which a test can make a process crash, fail or pause (<see cref="FaultInjectionOptions"/>).
/// A step with nothing configured costs a dictionary lookup; one that is configured says in the log that it was
/// reached, so a fault test can prove the fault hit the step it meant.
/// </summary>
public sealed class FaultPoints(IOptions<FaultInjectionOptions> options, ILogger<FaultPoints> logger)
{
    readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);

    public async Task ReachedAsync(string step, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Points.TryGetValue(step, out var action) || string.IsNullOrWhiteSpace(action))
            return;
        var hit = _hits.AddOrUpdate(step, 1, (_, n) => n + 1);
        var (verb, argument) = action.Split(':', 2) is [var v, var a] ? (v, a) : (action, null);
        switch (verb)
        {
            case "crash":
                logger.LogCritical("Fault injection: step {Step:l} reached; killing this process", step);
                Console.Error.WriteLine($"fault injection: killing this process at {step}");
                Process.GetCurrentProcess().Kill();
                break;
            case "fail" when argument is null || hit <= int.Parse(argument, CultureInfo.InvariantCulture):
                logger.LogWarning("Fault injection: step {Step:l} reached; failing it (time {Hit})", step, hit);
                throw new InjectedFaultException(step);
            case "pause" when argument?.Split(':') is [var milliseconds, ..] and var parts && (parts.Length < 2 || hit <= int.Parse(parts[1], CultureInfo.InvariantCulture)):
                logger.LogWarning("Fault injection: step {Step:l} reached; pausing {Milliseconds} ms (time {Hit})", step, milliseconds, hit);
                await Task.Delay(TimeSpan.FromMilliseconds(int.Parse(milliseconds, CultureInfo.InvariantCulture)), cancellationToken);
                break;
        }
    }
}

/// <summary>A fault a test asked for at a named step; retry policies never retry it, so it goes where a lasting fault would.</summary>
public sealed class InjectedFaultException(string step) : Exception($"Fault injected at {step}.");
