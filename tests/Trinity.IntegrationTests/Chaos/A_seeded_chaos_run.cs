using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;
using Trinity.Testing.Invariants;

namespace Trinity.IntegrationTests.Chaos;

/// <summary>
/// A bounded, seeded chaos run (<see cref="ChaosSystem"/>): turns, failure reports, reassignments and rollovers
/// without pause, a random fault of the matrix every 10 to 20 s, then the invariant checker once the system is quiet.
/// In <c>make test</c> it runs 90 s on a fixed seed; <c>make chaos</c> runs it for 5 minutes on a seed of its own and
/// rewrites the chaos section of <c>docs/reliability.md</c>.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class A_seeded_chaos_run(A_seeded_chaos_run.Run run) : IClassFixture<A_seeded_chaos_run.Run>
{
    public const string EveryFaultHit = "every injected fault hit what it names";
    public const string EveryFaultRecovered = "a switch asked for after each fault happened within the recovery limit";
    public const string MinimumWork = "the run held its minimum of work per minute";

    public sealed class Run : ChaosSystem
    {
        public ChaosOutcome Outcome { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            using var load = new ChaosLoad(this, Settings.Seed);
            var faults = new ChaosFaults(this, load, new Random(Settings.Seed + 1));
            var startedAt = DateTimeOffset.UtcNow;
            using (var stop = new CancellationTokenSource(Settings.Duration))
                await Task.WhenAll(load.RunAsync(stop.Token), faults.RunAsync(stop.Token));
            var endedAt = DateTimeOffset.UtcNow;
            await load.FinishAsync(TimeSpan.FromSeconds(60));
            await SettleAsync();

            var snapshot = await InvariantSnapshot.TakeAsync(this, new RunRecord
            {
                LiveCredentials = LiveCredentialReaders(),
                Turns = load.TurnFacts(),
                Canaries = [.. Tokens],
                PublishedReports = [.. load.AcknowledgedReports],
                Texts = [.. await ContainerLogsAsync(), .. faults.Texts, .. OwnProcessOutputs()],
            });
            Violation[] faultViolations =
            [
                .. faults.Injected.Where(f => !f.Hit).Select(f => new Violation(EveryFaultHit, $"{f.Kind} on {f.Target}: {f.Evidence}")),
                .. faults.Injected.Where(f => f.Recovery is null).Select(f => new Violation(EveryFaultRecovered, $"no switch within {ChaosFaults.RecoveryLimit.TotalSeconds:F0} s of {f.Kind} on {f.Target}")),
            ];
            var work = await WorkAsync(startedAt, endedAt, load);
            Outcome = new ChaosOutcome(Settings, faults.Injected, snapshot.Failures.Count, snapshot.Rotations.Count, work,
                load.Reassignments, load.Refused, snapshot.Redeliveries,
                [
                    .. InvariantChecker.Check(snapshot), .. faultViolations,
                    .. work.ShortfallsOver(endedAt - startedAt).Select(shortfall => new Violation(MinimumWork, shortfall)),
                ]);
            Outcome.Write();
            if (Settings.RewritesDocs && Outcome.Violations.Count == 0)
                Outcome.RewriteDocs(DateTimeOffset.UtcNow);
        }

        /// <summary>
        /// The end of a run: no rotation in progress, every agent on its assignment (or saying it is out of sync), every
        /// queue drained. A system that does not get there in three minutes is left as it is: the checker says why.
        /// </summary>
        async Task SettleAsync()
        {
            try
            {
                await Eventually.Until(async () => (await RotationsAsync()).All(r => r.Outcome != RotationOutcome.InProgress), "every rotation to end", TimeSpan.FromMinutes(3));
                await WaitUntilQuietAsync(TimeSpan.FromMinutes(3), errorQueuesToo: false);
            }
            catch (TimeoutException)
            {
            }
        }

        Dictionary<string, Func<Task<string?>>> LiveCredentialReaders()
        {
            var readers = Fleet.Agents.ToDictionary(a => a.AgentName, a => (Func<Task<string?>>)(async () => (await a.LiveCredentialAsync()).Fingerprint));
            foreach (var agent in ContainerAgents)
                readers[agent.AgentName] = () => PlacedLiveFingerprintAsync(agent.AgentName);
            for (var i = 0; i < References.Count; i++)
            {
                var reference = i;
                readers[ReferenceName(i)] = () => ReferenceFingerprintAsync(reference);
            }
            return readers;
        }

        /// <summary>The output of what the run started outside the services: the reference agents, its Redis and PostgreSQL.</summary>
        IEnumerable<TextFact> OwnProcessOutputs() =>
            References.Select(r => r.Process).Append(Redis.Process).Append(OwnPostgres!.Process).OfType<ServiceProcess>()
                .Select(p => new TextFact($"the output of {p.Name}", p.OutputText));

        async Task<List<TextFact>> ContainerLogsAsync()
        {
            var logs = new List<TextFact>();
            foreach (var agent in ContainerAgents)
                if ((await AgentAsync(agent.AgentName)).ContainerId is { } container && await Containers.InspectOrNullAsync(container) is not null)
                    logs.Add(new TextFact($"the container log of {agent.AgentName}", await Containers.LogsAsync(container)));
            return logs;
        }

        async Task<ChaosWork> WorkAsync(DateTimeOffset from, DateTimeOffset to, ChaosLoad load)
        {
            await using var db = NewDbContext();
            var done = await db.Rotations.AsNoTracking()
                .Where(r => r.Outcome == RotationOutcome.Succeeded && r.StartedAt >= from && r.StartedAt <= to).ToListAsync();
            return new ChaosWork(done.Count(r => r.Method == SwitchMethod.HotReload), done.Count(r => r.Method == SwitchMethod.Recreate),
                done.Count(r => r.Trigger == SwitchTrigger.Rollover), load.Turns.Count(t => t.Ending is not null));
        }
    }

    [Fact]
    public void The_checker_is_green_once_quiet_and_every_fault_hit_and_recovered()
    {
        Assert.True(run.Outcome.Violations.All(v => v.Invariant == MinimumWork), File.ReadAllText(ChaosOutcome.SummaryPath));
    }

    [Fact]
    public void Faults_came_every_ten_to_twenty_seconds()
    {
        var faults = run.Outcome.Faults;
        Assert.True(faults.Count >= run.Settings.Duration.TotalSeconds / 30, File.ReadAllText(ChaosOutcome.SummaryPath));
        // The next fault comes 10 to 20 s after the last began, or once the last has recovered if that took longer.
        for (var i = 1; i < faults.Count; i++)
            Assert.True(faults[i].At - faults[i - 1].At <= TimeSpan.FromSeconds(Math.Max(20, faults[i - 1].Took.TotalSeconds) + 2),
                $"fault {i} came {(faults[i].At - faults[i - 1].At).TotalSeconds:F1} s after the one before, which took {faults[i - 1].Took.TotalSeconds:F1} s");
    }

    [Fact]
    public void The_run_held_its_minimum_of_work_per_minute()
    {
        var shortfalls = run.Outcome.Violations.Where(v => v.Invariant == MinimumWork).ToList();
        Assert.True(shortfalls.Count == 0, string.Join("\n", shortfalls));
    }
}
