using System.Text;
using System.Text.Json.Serialization;
using Trinity.Hosting.Logging;

namespace Trinity.AgentServer.Turns;

[JsonConverter(typeof(JsonStringEnumConverter<TurnState>))]
public enum TurnState
{
    Running,
    Ended,
}

/// <summary>How a turn ended, as a chat executor needs to know it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TurnEnding>))]
public enum TurnEnding
{
    Completed,

    /// <summary>The CLI exited with a rate-limit (429) message: report it as a failure of the subscription.</summary>
    RateLimited,
    Failed,

    /// <summary>Ended by a signal (a container stop, a kill): not the token's fault.</summary>
    KilledBySignal,
}

/// <summary>One coding-agent CLI subprocess, started from the agent's environment as it was at that moment.</summary>
public sealed class Turn
{
    const int OutputLimit = 4096;
    readonly StringBuilder _output = new();

    public required Guid Id { get; init; }
    public required string? Fingerprint { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public TurnState State { get; private set; } = TurnState.Running;
    public TurnEnding? Ending { get; private set; }
    public int? ExitCode { get; private set; }
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>The end of what the CLI printed, with every known secret scrubbed.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return SecretRedaction.Scrub(_output.ToString());
        }
    }

    public void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
            if (_output.Length > OutputLimit)
                _output.Remove(0, _output.Length - OutputLimit);
        }
    }

    public void End(int exitCode, DateTimeOffset at)
    {
        ExitCode = exitCode;
        Ending = Classify(exitCode, Output);
        EndedAt = at;
        State = TurnState.Ended;
    }

    /// <summary>
    /// A process killed by signal N reports 128+N. A rate limit is recognised from the CLI's message, the way
    /// the reference system classifies it; a kill is never blamed on the token.
    /// </summary>
    public static TurnEnding Classify(int exitCode, string output) => exitCode switch
    {
        0 => TurnEnding.Completed,
        > 128 and < 160 => TurnEnding.KilledBySignal,
        _ when output.Contains("429", StringComparison.Ordinal) || output.Contains("rate limit", StringComparison.OrdinalIgnoreCase)
            || output.Contains("rate_limit", StringComparison.OrdinalIgnoreCase) => TurnEnding.RateLimited,
        _ => TurnEnding.Failed,
    };
}
