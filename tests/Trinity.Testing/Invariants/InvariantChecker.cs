using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Testing.Invariants;

/// <summary>One promise broken, said so that an operator could find it: which promise, and where.</summary>
public sealed record Violation(string Invariant, string Detail)
{
    public override string ToString() => $"{Invariant}: {Detail}";
}

/// <summary>
/// What the system promises once it is quiet, checked against one <see cref="InvariantSnapshot"/> (read from the real
/// system by <see cref="InvariantSnapshot.TakeAsync"/>). Each rule is a pure function of the snapshot, so a self-test
/// can seed one violation and see it reported; an observation the snapshot could not make is itself a violation.
/// </summary>
public static class InvariantChecker
{
    public const string EveryReportDecided = "every failure report has a decision";
    public const string EveryPublishedReportRecorded = "every report the broker acknowledged to its producer is recorded";
    public const string NoRotationPastItsDeadline = "no rotation in progress past its deadline or with nothing to end it";
    public const string NoAgentStuck = "no agent stuck";
    public const string LiveCredentialMatches = "every agent runs the credential the database assigns it, or is visibly out of sync";
    public const string OneSwitchEventPerSucceededRotation = "exactly one AgentSubscriptionSwitched per succeeded rotation, none otherwise";
    public const string FencesIncrease = "fences strictly increase per agent in history order";
    public const string NoOverlappingRotations = "no two rotations of one agent overlap";
    public const string TurnsEndWell = "every turn completed or was rate-limited, or was killed by a decided recreate or an injected fault";
    public const string NoTokenLeaks = "no token anywhere outside the agent's own environment";
    public const string ErrorQueuesHoldOnlyInjectedInput = "_error queues hold only the bad inputs the run injected, each with its reason";
    public const string NothingCommittedIsGivenUp = "no committed message was given up by the outbox (outbox_parked is empty)";

    public static IReadOnlyList<Violation> Check(InvariantSnapshot snapshot) =>
    [
        .. snapshot.Unobservable.Select(what => new Violation("an observation the checker could not make", what)),
        .. Decisions(snapshot),
        .. snapshot.PublishedReports.Except(snapshot.Failures.Select(f => f.Id))
            .Select(id => new Violation(EveryPublishedReportRecorded, $"report {id} was acknowledged on publish and never recorded")),
        .. Deadlines(snapshot),
        .. StuckAgents(snapshot),
        .. LiveCredentials(snapshot),
        .. SwitchEvents(snapshot),
        .. Fences(snapshot),
        .. Overlaps(snapshot),
        .. Turns(snapshot),
        .. Leaks(snapshot),
        .. ErrorQueues(snapshot),
        .. snapshot.Parked.Select(parked => new Violation(NothingCommittedIsGivenUp, parked)),
    ];

    static IEnumerable<Violation> Decisions(InvariantSnapshot s) =>
        s.Failures.Where(f => string.IsNullOrEmpty(f.Decision)).Select(f => new Violation(EveryReportDecided, $"report {f.Id} of {f.AgentName} has none"));

    static IEnumerable<Violation> Deadlines(InvariantSnapshot s)
    {
        foreach (var rotation in s.Rotations.Where(r => r.Outcome == RotationOutcome.InProgress))
        {
            var saga = s.Agents.FirstOrDefault(a => a.Name == rotation.AgentName);
            if (saga?.SagaRotationId != rotation.Id)
                yield return new Violation(NoRotationPastItsDeadline, $"rotation {rotation.Id} of {rotation.AgentName} is in progress but its agent's state machine is not waiting for it");
            else if (saga.DeadlineAt is not { } deadline || deadline < s.TakenAt)
                yield return new Violation(NoRotationPastItsDeadline, $"rotation {rotation.Id} of {rotation.AgentName} is in progress past its deadline ({saga.DeadlineAt?.ToString("O") ?? "none"})");
        }
    }

    static IEnumerable<Violation> StuckAgents(InvariantSnapshot s)
    {
        foreach (var agent in s.Agents)
        {
            if (agent.SagaState is "Reloading" or "Recreating" or "Removing" && agent.DeadlineAt is null)
                yield return new Violation(NoAgentStuck, $"{agent.Name} is {agent.SagaState} with no deadline to end it");
            if (agent.OutOfSync && (agent.NextAttemptAt is null || string.IsNullOrEmpty(agent.LastFailure)))
                yield return new Violation(NoAgentStuck, $"{agent.Name} is out of sync without {(agent.NextAttemptAt is null ? "a next attempt" : "a reason")}");
        }
    }

    static IEnumerable<Violation> LiveCredentials(InvariantSnapshot s)
    {
        foreach (var agent in s.Agents.Where(a => a.Checked))
        {
            if (!agent.LiveReadable)
                yield return new Violation(LiveCredentialMatches, $"{agent.Name}'s live credential could not be read");
            else if (agent.LiveFingerprint != agent.AssignedFingerprint && !(agent.OutOfSync && agent.NextAttemptAt is not null && !string.IsNullOrEmpty(agent.LastFailure)))
                yield return new Violation(LiveCredentialMatches,
                    $"{agent.Name} runs {agent.LiveFingerprint ?? "no token"} but is assigned {agent.AssignedFingerprint ?? "no token"}, and does not say it is out of sync");
        }
    }

    static IEnumerable<Violation> SwitchEvents(InvariantSnapshot s)
    {
        foreach (var anonymous in s.Switched.Where(e => e.MessageId is null))
            yield return new Violation(OneSwitchEventPerSucceededRotation, $"a switch event for rotation {anonymous.RotationId} without a MessageId: its redeliveries cannot be told from a second event");
        var byRotation = s.Switched.GroupBy(e => e.RotationId).ToDictionary(g => g.Key, g => g.Select(e => e.MessageId).Distinct().Count());
        foreach (var rotation in s.Rotations)
        {
            var events = byRotation.GetValueOrDefault(rotation.Id);
            if (rotation.Outcome == RotationOutcome.Succeeded && events != 1)
                yield return new Violation(OneSwitchEventPerSucceededRotation, $"succeeded rotation {rotation.Id} of {rotation.AgentName} has {events} distinct switch events");
            if (rotation.Outcome != RotationOutcome.Succeeded && events > 0)
                yield return new Violation(OneSwitchEventPerSucceededRotation, $"{rotation.Outcome} rotation {rotation.Id} of {rotation.AgentName} has {events} switch events");
        }
        foreach (var unknown in byRotation.Keys.Except(s.Rotations.Select(r => r.Id)))
            yield return new Violation(OneSwitchEventPerSucceededRotation, $"a switch event for rotation {unknown}, which history does not hold");
    }

    static IEnumerable<Violation> Fences(InvariantSnapshot s)
    {
        foreach (var agent in s.Rotations.GroupBy(r => r.AgentName))
        {
            var ordered = agent.OrderBy(r => r.StartedAt).ToList();
            for (var i = 1; i < ordered.Count; i++)
                if (ordered[i].FencingToken <= ordered[i - 1].FencingToken)
                    yield return new Violation(FencesIncrease, $"{agent.Key}: rotation {ordered[i].Id} has fence {ordered[i].FencingToken} after {ordered[i - 1].FencingToken}");
        }
    }

    static IEnumerable<Violation> Overlaps(InvariantSnapshot s)
    {
        foreach (var agent in s.Rotations.GroupBy(r => r.AgentName))
        {
            var ordered = agent.OrderBy(r => r.StartedAt).ToList();
            for (var i = 1; i < ordered.Count; i++)
                if ((ordered[i - 1].CompletedAt ?? s.TakenAt) > ordered[i].StartedAt)
                    yield return new Violation(NoOverlappingRotations, $"{agent.Key}: rotation {ordered[i].Id} started before {ordered[i - 1].Id} ended");
        }
    }

    static IEnumerable<Violation> Turns(InvariantSnapshot s)
    {
        var recreates = s.Rotations.Where(r => r.Method == SwitchMethod.Recreate).ToList();
        foreach (var turn in s.Turns)
        {
            // A recreate excuses only a turn it overlapped: one that ran before it started or after it ended was not its.
            var overlapped = recreates.Any(r => r.AgentName == turn.AgentName
                && r.StartedAt <= (turn.EndedAt ?? s.TakenAt) && (r.CompletedAt ?? s.TakenAt) >= turn.StartedAt);
            if (turn.Ending is "Completed" or "RateLimited")
                continue;
            if (turn.Ending == "Killed" && turn.KilledByInjectedFault)
                continue;
            if (turn.Ending == "Killed" && overlapped)
                continue;
            yield return new Violation(TurnsEndWell, $"turn {turn.Id} of {turn.AgentName} ended {turn.Ending ?? "never"} with no recreate in its time or injected fault to account for it");
        }
    }

    static IEnumerable<Violation> Leaks(InvariantSnapshot s)
    {
        foreach (var text in s.Texts)
            foreach (var canary in s.Canaries)
                if (text.Text.Contains(canary, StringComparison.Ordinal))
                    yield return new Violation(NoTokenLeaks, $"a token in {text.Where}");
    }

    static IEnumerable<Violation> ErrorQueues(InvariantSnapshot s)
    {
        foreach (var message in s.ErrorMessages)
        {
            if (!s.InjectedBadInputs.Any(marker => message.Body.Contains(marker, StringComparison.Ordinal)))
                yield return new Violation(ErrorQueuesHoldOnlyInjectedInput, $"{message.Queue} holds a message the run did not inject");
            else if (string.IsNullOrWhiteSpace(message.Reason))
                yield return new Violation(ErrorQueuesHoldOnlyInjectedInput, $"{message.Queue} holds an injected input without its reason");
        }
    }
}
