using System.Text.Json;
using Prometheus;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Infrastructure.Observability;

/// <summary>
/// What an operator scrapes from <c>/metrics</c> of each service. Counts only: no agent names, no
/// fingerprints, nothing secret. Counters are per process; sum them over replicas.
/// </summary>
public static class TrinityMetrics
{
    static readonly Counter Rotations = Metrics.CreateCounter("trinity_rotations_total",
        "Rotations ended, by what triggered them, how they were carried out and how they ended.",
        new CounterConfiguration { LabelNames = ["trigger", "method", "outcome"] });

    static readonly Histogram RotationSeconds = Metrics.CreateHistogram("trinity_rotation_duration_seconds",
        "From the decision to rotate to the confirmed outcome, for rotations that succeeded.",
        new HistogramConfiguration
        {
            LabelNames = ["trigger", "method"],
            Buckets = [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
        });

    static readonly Histogram AgentCallSeconds = Metrics.CreateHistogram("trinity_agent_reload_call_seconds",
        "The rotation worker's call to an agent's reload endpoint, read-back of the live fingerprint included, by answer.",
        new HistogramConfiguration { LabelNames = ["answer"], Buckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5, 30] });

    static readonly Histogram RecreateSeconds = Metrics.CreateHistogram("trinity_container_recreate_seconds",
        "The container manager's recreate of an agent's container (drain, stop, remove, create, start, healthy), by outcome.",
        new HistogramConfiguration { LabelNames = ["outcome"], Buckets = [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300] });

    static readonly Counter LeaseWaits = Metrics.CreateCounter("trinity_lease_waits_total",
        "Times a rotation found the agent's lease held by another actor and waited (by retry).");

    static readonly Counter IntakeRejects = Metrics.CreateCounter("trinity_intake_rejected_total",
        "Failure reports refused, by reason: the intake's (to _error) and the API's (422).",
        new CounterConfiguration { LabelNames = ["reason"] });

    static readonly Counter OutboxParked = Metrics.CreateCounter("trinity_outbox_parked_total",
        "Outbox messages that can never be sent (unknown type, unreadable body), moved aside with their reason.");

    static readonly Gauge OutboxPending = Metrics.CreateGauge("trinity_outbox_pending_messages",
        "Outbox messages committed and not yet sent, at the relay's last look.");

    static readonly Gauge OutOfSync = Metrics.CreateGauge("trinity_agents_out_of_sync",
        "Idle agents whose running credentials differ from the database, at the reconciler's last pass.");

    static readonly Gauge Subscriptions = Metrics.CreateGauge("trinity_subscriptions",
        "Live subscriptions by standing (available, cooling-down, disabled), at the Orchestrator's last look.",
        new GaugeConfiguration { LabelNames = ["state"] });

    static readonly Gauge Stranded = Metrics.CreateGauge("trinity_agents_stranded",
        "Agents left on a subscription that is cooling down or disabled (no viable alternative: the pool is exhausted), at the Orchestrator's last look.");

    /// <param name="method">Null when the rotation was refused before a method was chosen.</param>
    public static void RotationEnded(SwitchTrigger trigger, SwitchMethod? method, RotationOutcome outcome, TimeSpan? duration = null)
    {
        var (triggerLabel, methodLabel) = (Label(trigger), method is { } chosen ? Label(chosen) : "none");
        Rotations.WithLabels(triggerLabel, methodLabel, Label(outcome)).Inc();
        if (duration is { } elapsed)
            RotationSeconds.WithLabels(triggerLabel, methodLabel).Observe(elapsed.TotalSeconds);
    }

    public static void AgentReloadCalled(string answer, TimeSpan elapsed) => AgentCallSeconds.WithLabels(answer).Observe(elapsed.TotalSeconds);

    public static void ContainerRecreated(string outcome, TimeSpan elapsed) => RecreateSeconds.WithLabels(outcome).Observe(elapsed.TotalSeconds);

    public static void LeaseWaited() => LeaseWaits.Inc();

    public static void IntakeRejected(string reason) => IntakeRejects.WithLabels(reason).Inc();

    public static void AgentsOutOfSync(int count) => OutOfSync.Set(count);

    public static void SubscriptionStandings(int available, int coolingDown, int disabled, int strandedAgents)
    {
        Subscriptions.WithLabels("available").Set(available);
        Subscriptions.WithLabels("cooling-down").Set(coolingDown);
        Subscriptions.WithLabels("disabled").Set(disabled);
        Stranded.Set(strandedAgents);
    }

    public static void OutboxMessageParked() => OutboxParked.Inc();

    public static void OutboxMessagesPending(int count) => OutboxPending.Set(count);

    /// <summary>The same spelling as the messages' JSON: auto-switch, hot-reload.</summary>
    static string Label<T>(T value) where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
