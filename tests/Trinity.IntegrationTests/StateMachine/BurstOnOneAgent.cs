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
    public BusObserver Observer { get; private set; } = null!;

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
        Observer = await BusObserver.StartAsync(this);
        await StartRotationWorkerAsync();

        // Declare the topology, then stop: the burst waits in the queue until every Orchestrator is back.
        var replicas = new List<ServiceProcess>();
        for (var i = 0; i < orchestrators; i++)
            replicas.Add(await StartOrchestratorAsync($"orchestrator-{i}-first"));
        foreach (var replica in replicas)
            await replica.StopAsync();

        await Task.WhenAll(Enumerable.Range(0, burst).Select(_ => Observer.Publish(Failure(Agent, A.Id))));
        await Task.WhenAll(Enumerable.Range(0, orchestrators).Select(i => StartOrchestratorAsync($"orchestrator-{i}")));

        await Eventually.Until(async () => (await FailuresAsync()).Count(f => f.Decision is not null), n => n == burst, $"all {burst} reports to be decided");
        await WaitUntilQuietAsync();

        Switches = (await RotationsAsync(Agent)).Where(r => r.Trigger == SwitchTrigger.AutoSwitch).ToList();
        Published = Observer.Received<AgentSubscriptionSwitched>();
        ReloadsReceived = (await AgentServer.LiveCredentialAsync()).Reloads;
    }

    public override async Task DisposeAsync()
    {
        await Observer.DisposeAsync();
        AgentServer.Dispose();
        await base.DisposeAsync();
    }
}
