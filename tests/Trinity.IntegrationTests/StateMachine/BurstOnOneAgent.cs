using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.StateMachine;

/// <summary>
/// Counting honestly: agent <c>alpha</c> on A; a burst of reports about A is published while every
/// Orchestrator is stopped (its queues exist: each was started once), then the Orchestrators start, so the
/// reports really race. The counts are read once every report is recorded, every queue is empty (ready,
/// unacked, _error) and two more seconds have passed — from three sources that must agree.
/// </summary>
public abstract class BurstOnOneAgent(int subscriptions, int orchestrators, int burst) : TrinityTestSystem
{
    public const string Agent = "alpha";

    public List<(Subscription Subscription, string Token)> Subscriptions { get; } = [];
    public Subscription A => Subscriptions[0].Subscription;
    public AgentServerProcess AgentServer { get; private set; } = null!;

    public List<Rotation> Switches { get; private set; } = [];
    public IReadOnlyList<AgentSubscriptionSwitched> Published { get; private set; } = [];
    public int ReloadsReceived { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        for (var i = 0; i < subscriptions; i++)
        {
            var token = Canary.NewToken();
            Subscriptions.Add((await AddSubscriptionAsync($"subscription-{(char)('a' + i)}", token), token));
        }
        AgentServer = await StartAgentServerAsync(Agent, Subscriptions[0].Token, A.Id);
        await StartObserverAsync();
        await StartRotationWorkerAsync();

        // Declare the topology, then stop: the burst waits in the queue until every Orchestrator is back.
        var replicas = new List<ServiceProcess>();
        for (var i = 0; i < orchestrators; i++)
            replicas.Add(await StartOrchestratorAsync($"orchestrator-{i}-first"));
        foreach (var replica in replicas)
            await replica.StopAsync();

        await Task.WhenAll(Enumerable.Range(0, burst).Select(_ => Observer.Publish(Failure(Agent, A.Id))));
        // With replicas, each takes a few reports at a time, so that both really take part in the race (alone, one
        // replica would take the whole queued burst in its first group).
        var intake = orchestrators == 1 ? null : new Dictionary<string, string?>
        {
            ["Trinity__Orchestrator__IntakeConcurrency"] = "2",
            ["Trinity__Orchestrator__IntakeBatchSize"] = "2",
        };
        await Task.WhenAll(Enumerable.Range(0, orchestrators).Select(i => StartOrchestratorAsync($"orchestrator-{i}", intake)));

        await Eventually.Until(async () => (await FailuresAsync()).Count(f => f.Decision is not null), n => n == burst, $"all {burst} reports to be decided");
        // The rest of a burst is decided at the intake (absorbed) while the rotation it caused may still run.
        await Eventually.Until(async () => (await RotationsAsync(Agent)).All(r => r.Outcome != RotationOutcome.InProgress), "the rotation to end");
        await WaitUntilQuietAsync();

        Switches = (await RotationsAsync(Agent)).Where(r => r.Trigger == SwitchTrigger.AutoSwitch).ToList();
        Published = Observer.Received<AgentSubscriptionSwitched>();
        ReloadsReceived = (await AgentServer.LiveCredentialAsync()).Reloads;
    }

}
