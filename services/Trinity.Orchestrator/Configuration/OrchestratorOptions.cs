namespace Trinity.Orchestrator.Configuration;

/// <summary>Section <c>Trinity:Orchestrator</c>.</summary>
public sealed class OrchestratorOptions
{
    public const string Section = "Trinity:Orchestrator";

    /// <summary>When off, failures are still recorded but never move an agent.</summary>
    public bool AutoSwitchEnabled { get; set; } = true;

    /// <summary>A subscription with a failure this recent is not an alternative (or longer, when the provider's Retry-After says so).</summary>
    public TimeSpan Cooldown { get; set; } = Trinity.Infrastructure.Persistence.SubscriptionCooldown.DefaultWindow;

    /// <summary>
    /// How long a hot-reload may take. It is also the lease's time to live for the rotation, so a deadline that
    /// passes with the lease still held means someone renewed it: the deadline is extended, not failed. It must
    /// outlast the worker's attempts on an unreachable agent (3 × 10 s plus back-off by default), or the
    /// worker's fallback would arrive after the rotation had already been failed.
    /// </summary>
    public TimeSpan ReloadDeadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a recreate the saga orders waits for in-flight turns before it stops the container.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A recreate's deadline is its drain timeout plus this (stop, create, start, healthy).</summary>
    public TimeSpan RecreateBudget { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the deadline enforcer looks for rotations past their deadline.</summary>
    public TimeSpan DeadlineScanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A passed deadline is told to the state machine again after this long, for as long as the rotation has not
    /// ended: a <c>RotationDeadlinePassed</c> whose handling failed never leaves the agent in flight for good.
    /// </summary>
    public TimeSpan DeadlineRepeat { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many reports are recorded in one transaction by the failure intake (group commit).</summary>
    public int IntakeBatchSize { get; set; } = 1000;

    /// <summary>How many reports the intake takes from the broker at once; the batches are made of these.</summary>
    public int IntakeConcurrency { get; set; } = 2000;

    /// <summary>How many state-machine events (of different agents) are handled at once.</summary>
    public int StateMachineConcurrency { get; set; } = 16;

    /// <summary>How often the reconciler compares what agents run with what the database holds.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the subscriptions' standing is read for <c>/metrics</c> (available, cooling down, disabled, stranded agents).</summary>
    public TimeSpan GaugeInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>After a failed rotation the reconciler waits this long before trying the agent again, doubling with every failure in a row…</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>…up to this.</summary>
    public TimeSpan LongestRetryBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Failure reports and ended rotations are kept this long (at least 7 days: the longest cooldown read)…</summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>…and looked over this often.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);
}
