namespace Trinity.AgentServer.Configuration;

/// <summary>Section <c>Trinity:Agent:Turns</c>: the coding-agent CLI each turn runs.</summary>
public sealed class TurnOptions
{
    /// <summary>The real CLI by default; tests and the demo point it at the stand-in.</summary>
    public string Command { get; set; } = "claude";

    /// <summary>
    /// Arguments; <c>{prompt}</c> is replaced by the turn's prompt. Null means <c>-p {prompt}</c> (a default
    /// list here would be appended to, not replaced, by configuration binding).
    /// </summary>
    public List<string>? Arguments { get; set; }

    public IReadOnlyList<string> EffectiveArguments => Arguments is { Count: > 0 } ? Arguments : ["-p", "{prompt}"];

    /// <summary>Working directory of every turn (the workspace).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>How many ended turns are kept for their callers to read; older ones are forgotten.</summary>
    public int KeepEnded { get; set; } = 200;
}
