namespace Trinity.Orchestrator;

/// <summary>Section <c>Trinity:Orchestrator</c>.</summary>
public sealed class OrchestratorOptions
{
    public const string Section = "Trinity:Orchestrator";

    /// <summary>When off, failures are still recorded but never move an agent.</summary>
    public bool AutoSwitchEnabled { get; set; } = true;

    /// <summary>A subscription with a failure this recent is not an alternative (or longer, when the provider's Retry-After says so).</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromHours(2);

    /// <summary>The agent lease's time to live; whoever does long work extends it.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a hot-reload may take before the rotation is failed.</summary>
    public TimeSpan ReloadDeadline { get; set; } = TimeSpan.FromSeconds(30);
}
