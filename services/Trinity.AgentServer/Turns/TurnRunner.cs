using Trinity.AgentProtocol;
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Trinity.AgentServer.Configuration;
using Trinity.AgentServer.Credentials;

namespace Trinity.AgentServer.Turns;

/// <summary>
/// Starts turns as subprocesses, tracks those in flight, and stops admitting new ones while draining (a
/// recreate waits for in-flight turns instead of killing them). A drain has a time to live: whoever drains renews
/// it while waiting, and a drain whose owner went away (a container manager killed mid-drain) lapses by itself.
/// The turns that ended are kept for their callers, the most recent <see cref="TurnOptions.KeepEnded"/> of them.
/// </summary>
public sealed class TurnRunner(AgentEnvironment environment, TurnOptions options, TimeProvider clock, ILogger logger)
{
    readonly ConcurrentDictionary<Guid, Turn> _turns = new();
    DateTimeOffset? _drainingUntil;

    public bool Draining => _drainingUntil is { } until && until > clock.GetUtcNow();

    public DateTimeOffset? DrainingUntil => Draining ? _drainingUntil : null;

    public int InFlight => _turns.Values.Count(t => t.State == TurnState.Running);

    public Turn? Find(Guid id) => _turns.GetValueOrDefault(id);

    public IEnumerable<Turn> All => _turns.Values.OrderBy(t => t.StartedAt);

    /// <summary>Stops admitting turns for <paramref name="timeToLive"/> from now (a renewal moves the end on).</summary>
    public void Drain(TimeSpan timeToLive) => _drainingUntil = clock.GetUtcNow() + timeToLive;

    public void Resume() => _drainingUntil = null;

    /// <returns>The started turn, or null while draining.</returns>
    public Turn? Start(string prompt, int? durationSeconds)
    {
        if (Draining)
            return null;

        var start = new ProcessStartInfo(options.Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in options.EffectiveArguments)
            start.ArgumentList.Add(argument.Replace("{prompt}", prompt, StringComparison.Ordinal));
        // The environment as it is now: a reload after this line does not reach this turn.
        environment.ApplyTo(start.Environment);
        if (durationSeconds is { } seconds)
            start.Environment["TRINITY_TURN_DURATION_SECONDS"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var turn = new Turn
        {
            Id = Guid.NewGuid(),
            Fingerprint = start.Environment.TryGetValue(AgentVariables.Token, out var token) && !string.IsNullOrEmpty(token)
                ? Messaging.Contracts.Identity.TokenFingerprint.Of(token)
                : null,
            StartedAt = clock.GetUtcNow(),
        };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) turn.Append(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) turn.Append(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new TurnCommandUnavailableException(options.Command, ex.Message);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _turns[turn.Id] = turn;
        _ = WaitForEndAsync(turn, process);
        logger.LogInformation("Turn {TurnId} started on fingerprint {Fingerprint}", turn.Id, turn.Fingerprint);
        return turn;
    }

    async Task WaitForEndAsync(Turn turn, Process process)
    {
        using (process)
        {
            await process.WaitForExitAsync();
            turn.End(process.ExitCode, clock.GetUtcNow());
        }
        logger.LogInformation("Turn {TurnId} ended: {Ending} (exit {ExitCode})", turn.Id, turn.Ending, turn.ExitCode);
        ForgetOldEndedTurns();
    }

    void ForgetOldEndedTurns()
    {
        var ended = _turns.Values.Where(t => t.State == TurnState.Ended).OrderByDescending(t => t.EndedAt).Skip(options.KeepEnded).ToList();
        foreach (var old in ended)
            _turns.TryRemove(old.Id, out _);
    }
}

public sealed class TurnCommandUnavailableException(string command, string reason)
    : Exception($"The turn command '{command}' could not be started: {reason}");
