using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Faults;

/// <summary>
/// The checker every fault test ends with must be able to fail: a clean quiet system passes, and each invariant,
/// fed one seeded violation, reports exactly that one. A checker that cannot fail would make every fault test green.
/// </summary>
public sealed class The_invariant_checker
{
    static readonly DateTimeOffset Now = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
    static readonly Guid First = Guid.NewGuid(), Second = Guid.NewGuid(), Report = Guid.NewGuid();
    const string Canary = "sk-ant-oat01-canary-of-the-self-test";

    /// <summary>Two hot-reloads of one agent, in order, each announced once; a decided report, acknowledged to its producer; a completed turn; an injected bad input in _error with its reason.</summary>
    static InvariantSnapshot Clean() => new()
    {
        TakenAt = Now,
        Failures = [new FailureFact(Report, "alpha", "rotated")],
        PublishedReports = [Report],
        Rotations =
        [
            new RotationFact(First, "alpha", RotationOutcome.Succeeded, SwitchMethod.HotReload, 1, Now.AddMinutes(-5), Now.AddMinutes(-5).AddSeconds(1)),
            new RotationFact(Second, "alpha", RotationOutcome.Succeeded, SwitchMethod.HotReload, 2, Now.AddMinutes(-2), Now.AddMinutes(-2).AddSeconds(1)),
        ],
        Agents = [new AgentFact("alpha", true, "fp-b", true, "fp-b", "Idle", null, null, false, null, null)],
        Switched = [new SwitchFact(Guid.NewGuid(), First), new SwitchFact(Guid.NewGuid(), Second)],
        Turns = [Turn("Completed", false, Now.AddMinutes(-3), Now.AddMinutes(-3).AddSeconds(3))],
        Texts = [new TextFact("the output of orchestrator", "switched alpha to subscription-b")],
        Canaries = [Canary],
        ErrorMessages = [new ErrorQueueMessage("trinity.orchestrator.failure-intake_error", "{\"agentName\":\"bad-input-1\"}", "The report has no agentName")],
        InjectedBadInputs = ["bad-input-1"],
    };

    static TurnFact Turn(string ending, bool killedByInjectedFault, DateTimeOffset startedAt, DateTimeOffset? endedAt) =>
        new(Guid.NewGuid(), "alpha", ending, killedByInjectedFault, startedAt, endedAt);

    static void AssertOnly(string invariant, InvariantSnapshot snapshot)
    {
        var violations = InvariantChecker.Check(snapshot);
        Assert.NotEmpty(violations);
        Assert.All(violations, v => Assert.Equal(invariant, v.Invariant));
    }

    [Fact]
    public void A_clean_quiet_system_passes() => Assert.Empty(InvariantChecker.Check(Clean()));

    [Fact]
    public void A_report_without_a_decision_fails() =>
        AssertOnly(InvariantChecker.EveryReportDecided, Clean() with { Failures = [new FailureFact(Report, "alpha", null)] });

    [Fact]
    public void A_rotation_in_progress_past_its_deadline_fails()
    {
        var clean = Clean();
        var third = new RotationFact(Guid.NewGuid(), "alpha", RotationOutcome.InProgress, SwitchMethod.HotReload, 3, Now.AddMinutes(-1), null);
        AssertOnly(InvariantChecker.NoRotationPastItsDeadline, clean with
        {
            Rotations = [.. clean.Rotations, third],
            Agents = [clean.Agents[0] with { SagaState = "Reloading", SagaRotationId = third.Id, DeadlineAt = Now.AddSeconds(-1) }],
        });
    }

    [Fact]
    public void A_rotation_in_progress_that_nothing_waits_for_fails()
    {
        var clean = Clean();
        AssertOnly(InvariantChecker.NoRotationPastItsDeadline, clean with
        {
            Rotations = [.. clean.Rotations, new RotationFact(Guid.NewGuid(), "alpha", RotationOutcome.InProgress, SwitchMethod.HotReload, 3, Now.AddMinutes(-1), null)],
        });
    }

    [Fact]
    public void An_agent_out_of_sync_with_no_next_attempt_fails() =>
        AssertOnly(InvariantChecker.NoAgentStuck, Clean() with
        {
            Agents = [Clean().Agents[0] with { OutOfSync = true, LastFailure = "the agent refused the reload", NextAttemptAt = null }],
        });

    [Fact]
    public void An_agent_reloading_with_no_deadline_to_end_it_fails() =>
        AssertOnly(InvariantChecker.NoAgentStuck, Clean() with { Agents = [Clean().Agents[0] with { SagaState = "Reloading", DeadlineAt = null }] });

    [Fact]
    public void An_agent_running_another_credential_without_saying_so_fails() =>
        AssertOnly(InvariantChecker.LiveCredentialMatches, Clean() with { Agents = [Clean().Agents[0] with { LiveFingerprint = "fp-a" }] });

    [Fact]
    public void An_agent_visibly_out_of_sync_with_a_reason_and_a_next_attempt_passes() =>
        Assert.Empty(InvariantChecker.Check(Clean() with
        {
            Agents = [Clean().Agents[0] with { LiveFingerprint = "fp-a", OutOfSync = true, LastFailure = "the agent refused the reload", NextAttemptAt = Now.AddSeconds(30) }],
        }));

    [Fact]
    public void A_credential_that_could_not_be_read_fails_and_never_passes() =>
        AssertOnly(InvariantChecker.LiveCredentialMatches, Clean() with { Agents = [Clean().Agents[0] with { LiveReadable = false, LiveFingerprint = null }] });

    [Fact]
    public void A_second_distinct_switch_event_for_one_rotation_fails() =>
        AssertOnly(InvariantChecker.OneSwitchEventPerSucceededRotation, Clean() with { Switched = [.. Clean().Switched, new SwitchFact(Guid.NewGuid(), First)] });

    [Fact]
    public void A_redelivered_switch_event_is_counted_not_failed()
    {
        var clean = Clean();
        var redelivered = clean with { Switched = [.. clean.Switched, clean.Switched[0]] };
        Assert.Empty(InvariantChecker.Check(redelivered));
        Assert.Equal(1, redelivered.Redeliveries);
    }

    [Fact]
    public void A_switch_event_without_a_message_id_fails() =>
        AssertOnly(InvariantChecker.OneSwitchEventPerSucceededRotation, Clean() with { Switched = [Clean().Switched[0] with { MessageId = null }, Clean().Switched[1]] });

    [Fact]
    public void A_report_acknowledged_on_publish_and_never_recorded_fails() =>
        AssertOnly(InvariantChecker.EveryPublishedReportRecorded, Clean() with { PublishedReports = [Report, Guid.NewGuid()] });

    [Fact]
    public void A_switch_event_for_a_failed_rotation_fails()
    {
        var clean = Clean();
        AssertOnly(InvariantChecker.OneSwitchEventPerSucceededRotation, clean with
        {
            Rotations = [clean.Rotations[0], clean.Rotations[1] with { Outcome = RotationOutcome.Failed }],
        });
    }

    [Fact]
    public void A_fence_that_does_not_increase_fails()
    {
        var clean = Clean();
        AssertOnly(InvariantChecker.FencesIncrease, clean with { Rotations = [clean.Rotations[0], clean.Rotations[1] with { FencingToken = 1 }] });
    }

    [Fact]
    public void Two_overlapping_rotations_of_one_agent_fail()
    {
        var clean = Clean();
        AssertOnly(InvariantChecker.NoOverlappingRotations, clean with
        {
            Rotations = [clean.Rotations[0] with { CompletedAt = Now.AddMinutes(-1) }, clean.Rotations[1]],
        });
    }

    [Fact]
    public void A_turn_killed_with_no_recreate_or_injected_fault_fails() =>
        AssertOnly(InvariantChecker.TurnsEndWell, Clean() with { Turns = [Turn("Killed", false, Now.AddMinutes(-3), Now.AddMinutes(-3).AddSeconds(3))] });

    [Fact]
    public void A_turn_killed_by_a_decided_recreate_or_an_injected_fault_passes()
    {
        var clean = Clean();
        Assert.Empty(InvariantChecker.Check(clean with { Turns = [Turn("Killed", true, Now.AddMinutes(-3), endedAt: null)] }));
        // The second rotation (two minutes ago, one second long) recreates the agent while the turn runs.
        Assert.Empty(InvariantChecker.Check(clean with
        {
            Rotations = [clean.Rotations[0], clean.Rotations[1] with { Method = SwitchMethod.Recreate }],
            Turns = [Turn("Killed", false, Now.AddMinutes(-2).AddSeconds(-5), Now.AddMinutes(-2).AddSeconds(1))],
        }));
    }

    [Fact]
    public void A_turn_killed_outside_the_time_of_every_recreate_fails()
    {
        var clean = Clean();
        var recreated = clean with { Rotations = [clean.Rotations[0], clean.Rotations[1] with { Method = SwitchMethod.Recreate }] };
        AssertOnly(InvariantChecker.TurnsEndWell, recreated with { Turns = [Turn("Killed", false, Now.AddMinutes(-1), Now.AddMinutes(-1).AddSeconds(3))] });
        AssertOnly(InvariantChecker.TurnsEndWell, recreated with { Turns = [Turn("Killed", false, Now.AddMinutes(-4), Now.AddMinutes(-4).AddSeconds(3))] });
        AssertOnly(InvariantChecker.TurnsEndWell, recreated with { Turns = [Turn("Killed", false, Now.AddMinutes(-2), Now) with { AgentName = "beta" }] });
    }

    [Fact]
    public void A_token_in_any_text_fails() =>
        AssertOnly(InvariantChecker.NoTokenLeaks, Clean() with { Texts = [new TextFact("a message in trinity.rotation-worker_error", $"token={Canary}")] });

    [Fact]
    public void An_error_queue_message_the_run_did_not_inject_fails() =>
        AssertOnly(InvariantChecker.ErrorQueuesHoldOnlyInjectedInput, Clean() with
        {
            ErrorMessages = [.. Clean().ErrorMessages, new ErrorQueueMessage("trinity.rotation-worker_error", "{\"agentName\":\"alpha\"}", "timeout")],
        });

    [Fact]
    public void An_injected_input_in_error_without_its_reason_fails() =>
        AssertOnly(InvariantChecker.ErrorQueuesHoldOnlyInjectedInput, Clean() with { ErrorMessages = [Clean().ErrorMessages[0] with { Reason = null }] });

    [Fact]
    public void A_committed_message_the_outbox_gave_up_on_fails() =>
        AssertOnly(InvariantChecker.NothingCommittedIsGivenUp, Clean() with { Parked = ["ReloadToken parked: the broker refused it 10 times"] });

    [Fact]
    public void An_observation_the_snapshot_could_not_make_fails() =>
        Assert.NotEmpty(InvariantChecker.Check(Clean() with { Unobservable = ["the broker's queues"] }));
}
