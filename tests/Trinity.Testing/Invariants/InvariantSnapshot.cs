using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Testing.Invariants;

public sealed record FailureFact(Guid Id, string AgentName, string? Decision);

public sealed record RotationFact(Guid Id, string AgentName, RotationOutcome Outcome, SwitchMethod? Method, long FencingToken, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt);

/// <summary>
/// An agent as the database and its state machine see it, and as it really runs. <see cref="Checked"/>: its live
/// credential was asked for (an agent the run does not reach, or one in api-key mode, is not).
/// </summary>
public sealed record AgentFact(string Name, bool Checked, string? AssignedFingerprint, bool LiveReadable, string? LiveFingerprint,
    string? SagaState, Guid? SagaRotationId, DateTimeOffset? DeadlineAt, bool OutOfSync, string? LastFailure, DateTimeOffset? NextAttemptAt);

public sealed record SwitchFact(Guid? MessageId, Guid RotationId);

/// <summary>A turn the run started: <see cref="EndedAt"/> is null while it had not ended when the run last looked.</summary>
public sealed record TurnFact(Guid Id, string AgentName, string? Ending, bool KilledByInjectedFault, DateTimeOffset StartedAt, DateTimeOffset? EndedAt);

public sealed record TextFact(string Where, string Text);

public sealed record ErrorQueueMessage(string Queue, string Body, string? Reason);

/// <summary>What the run knows that the system cannot tell the checker: its turns, its tokens, what it injected on purpose.</summary>
public sealed record RunRecord
{
    /// <summary>Agent name → how to read the credential it runs now (its <c>/credentials</c>, its override file, what a reference agent received).</summary>
    public Dictionary<string, Func<Task<string?>>> LiveCredentials { get; init; } = [];
    public List<TurnFact> Turns { get; init; } = [];
    public List<string> Canaries { get; init; } = [];

    /// <summary>The FailureId of each report whose publish the broker acknowledged: each must be recorded.</summary>
    public List<Guid> PublishedReports { get; init; } = [];

    /// <summary>A piece of each bad input the run sent on purpose: an <c>_error</c> message holding one is expected.</summary>
    public List<string> InjectedBadInputs { get; init; } = [];

    /// <summary>Container logs and anything else the run read that a token must not be in.</summary>
    public List<TextFact> Texts { get; init; } = [];
}

/// <summary>The quiet system, read once for <see cref="InvariantChecker"/>: the database, the observer's events, every queue, every service's output.</summary>
public sealed record InvariantSnapshot
{
    public DateTimeOffset TakenAt { get; init; } = DateTimeOffset.UtcNow;
    public List<FailureFact> Failures { get; init; } = [];
    public List<RotationFact> Rotations { get; init; } = [];
    public List<AgentFact> Agents { get; init; } = [];
    public List<SwitchFact> Switched { get; init; } = [];
    public List<TurnFact> Turns { get; init; } = [];
    public List<TextFact> Texts { get; init; } = [];
    public List<string> Canaries { get; init; } = [];
    public List<ErrorQueueMessage> ErrorMessages { get; init; } = [];
    public List<string> InjectedBadInputs { get; init; } = [];
    public List<Guid> PublishedReports { get; init; } = [];

    /// <summary>Outbox rows the relay gave up on: a committed message that will never be sent.</summary>
    public List<string> Parked { get; init; } = [];

    /// <summary>What the snapshot tried to read and could not: the checker fails on each, never passes.</summary>
    public List<string> Unobservable { get; init; } = [];

    /// <summary>Switch events delivered more than once with the same MessageId: counted and reported, not a violation.</summary>
    public int Redeliveries => Switched.Count - Switched.Select(s => s.MessageId).Distinct().Count();

    public static async Task<InvariantSnapshot> TakeAsync(TrinityTestSystem system, RunRecord run)
    {
        var unobservable = new List<string>();
        var texts = new List<TextFact>(run.Texts);
        await using var db = system.NewDbContext();
        var failures = await db.Failures.AsNoTracking().ToListAsync();
        var (rotations, switched) = await RotationsAndTheirEventsAsync(system);
        var sagas = await db.AgentCredentialStates.AsNoTracking().ToDictionaryAsync(s => s.AgentName);
        var subscriptions = await db.Subscriptions.AsNoTracking().ToDictionaryAsync(s => s.Id);
        var parked = await db.ParkedOutboxMessages.AsNoTracking().Select(p => $"{p.MessageType} {p.MessageId} parked at {p.ParkedAt:O}: {p.Reason}").ToListAsync();
        var agents = new List<AgentFact>();
        foreach (var agent in await db.Agents.AsNoTracking().Where(a => a.DeletedAt == null).ToListAsync())
        {
            var saga = sagas.GetValueOrDefault(agent.Name);
            var assigned = agent.UseApiKey || agent.SubscriptionId is not { } id ? null : subscriptions.GetValueOrDefault(id)?.TokenFingerprint;
            var (readable, live) = (false, (string?)null);
            var checkedHere = run.LiveCredentials.TryGetValue(agent.Name, out var read);
            if (checkedHere)
            {
                try
                {
                    (readable, live) = (true, await read!());
                }
                catch (Exception ex)
                {
                    texts.Add(new TextFact($"the error reading {agent.Name}'s credential", ex.ToString()));
                }
            }
            agents.Add(new AgentFact(agent.Name, checkedHere, assigned, readable, live, saga?.CurrentState, saga?.RotationId, saga?.DeadlineAt,
                saga?.OutOfSync ?? false, saga?.LastFailure, saga?.NextAttemptAt));
        }
        texts.AddRange(failures.Where(f => f.ErrorMessage is not null).Select(f => new TextFact($"failures.error_message of {f.Id}", f.ErrorMessage!)));
        texts.AddRange(rotations.Where(r => r.OutcomeDetail is not null).Select(r => new TextFact($"rotations.outcome_detail of {r.Id}", r.OutcomeDetail!)));
        texts.AddRange(sagas.Values.Where(s => s.LastFailure is not null).Select(s => new TextFact($"the saga's last failure of {s.AgentName}", s.LastFailure!)));
        texts.AddRange(system.Processes.Select(p => new TextFact($"the output of {p.Name}", p.OutputText)));
        texts.AddRange(LeakScan.ProcessCommandLines().Select(line => new TextFact("a process command line", line)));

        var errorMessages = new List<ErrorQueueMessage>();
        try
        {
            foreach (var queue in await system.QueuesAsync())
            {
                // The management statistics lag by seconds: an _error queue is always read, whatever its count says.
                if (queue.Ready + queue.Unacked == 0 && !queue.Name.EndsWith("_error", StringComparison.Ordinal))
                    continue;
                foreach (var message in await system.Management.PeekAsync(system.VirtualHost, queue.Name, 200))
                {
                    texts.Add(new TextFact($"a message in {queue.Name}", message.Payload + string.Join(' ', message.Headers.Values)));
                    if (queue.Name.EndsWith("_error", StringComparison.Ordinal))
                        errorMessages.Add(new ErrorQueueMessage(queue.Name, message.Payload, message.Headers.GetValueOrDefault("MT-Fault-Message")));
                }
            }
        }
        catch (HttpRequestException ex)
        {
            unobservable.Add($"the broker's queues ({ex.Message})");
        }

        return new InvariantSnapshot
        {
            Failures = failures.Select(f => new FailureFact(f.Id, f.AgentName, f.Decision)).ToList(),
            Rotations = rotations.Select(r => new RotationFact(r.Id, r.AgentName, r.Outcome, r.Method, r.FencingToken, r.StartedAt, r.CompletedAt)).ToList(),
            Agents = agents,
            Switched = switched,
            Turns = run.Turns,
            Texts = texts,
            Canaries = run.Canaries,
            ErrorMessages = errorMessages,
            InjectedBadInputs = run.InjectedBadInputs,
            PublishedReports = run.PublishedReports,
            Parked = parked,
            Unobservable = unobservable,
        };
    }

    /// <summary>
    /// History and the switch events as of one moment: history read, the system quiet (so an event committed with a
    /// rotation already read has reached the observer), the events read, history read again — and all of it again
    /// while history changed in between (a retry or the reconciler may start a rotation after the quiet wait).
    /// </summary>
    static async Task<(List<Rotation> Rotations, List<SwitchFact> Switched)> RotationsAndTheirEventsAsync(TrinityTestSystem system)
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = await RotationsAsync(system);
            await Eventually.Until(() => system.IsQuietAsync(errorQueuesToo: false), "the system to be quiet for the snapshot", TimeSpan.FromSeconds(60));
            var switched = system.Observer.ReceivedWithIds<AgentSubscriptionSwitched>().Select(e => new SwitchFact(e.MessageId, e.Message.RotationId)).ToList();
            var after = await RotationsAsync(system);
            if (attempt == 5 || before.Select(r => (r.Id, r.Outcome)).SequenceEqual(after.Select(r => (r.Id, r.Outcome))))
                return (after, switched);
        }
    }

    static async Task<List<Rotation>> RotationsAsync(TrinityTestSystem system)
    {
        await using var db = system.NewDbContext();
        return await db.Rotations.AsNoTracking().OrderBy(r => r.Id).ToListAsync();
    }
}
