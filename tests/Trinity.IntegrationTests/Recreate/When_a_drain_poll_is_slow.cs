using System.Net;
using Trinity.AgentProtocol;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Recreate;

/// <summary>
/// Two agents in real containers, reached through a fault proxy of the test's own. <c>patient</c> has an 8 s turn in
/// flight, and the manager's first question about its turns goes unanswered past the manager's 2 s call timeout: the
/// drain must go on asking until its own timeout, renewing the drain on the agent (3 s time to live) all along, and
/// stop the container only once the turn is done. <c>routeless</c> answers 404 on the drain route, as an image
/// without it would: it cannot be drained, which is said, and not waited for.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class When_a_drain_poll_is_slow(When_a_drain_poll_is_slow.Scenario scenario) : IClassFixture<When_a_drain_poll_is_slow.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string Token { get; } = Canary.NewToken();
        public TurnView Turn { get; private set; } = null!;
        public HttpStatusCode TurnMidDrain { get; private set; }
        public FaultProxy PatientProxy { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var a = await AddSubscriptionAsync("subscription-a", Token);
            var modelApi = await StartModelApiAsync();
            var proxies = new Dictionary<string, (FaultProxy Proxy, AgentClient Client, AgentClient Direct)>();
            foreach (var name in new[] { "patient", "routeless" })
            {
                var agent = await RunContainerAgentAsync(name, Token, new Dictionary<string, string?>
                {
                    ["Trinity__Agent__Turns__Command"] = "/app/fake-claude",
                    ["TRINITY_MODEL_API_URL"] = modelApi.BaseUrl,
                });
                var proxy = Own(FaultProxy.Start(new Uri(agent.BaseUrl).Port));
                await RegisterAgentAsync(name, a.Id, proxy.BaseUrl, agent.ControlKey, agent.ContainerId);
                proxies[name] = (proxy, Own(new AgentClient(name, proxy.BaseUrl, agent.ControlKey)), Own(new AgentClient(name, agent.BaseUrl, agent.ControlKey)));
            }
            PatientProxy = proxies["patient"].Proxy;
            await StartObserverAsync();
            await StartContainerManagerAsync(extra: new Dictionary<string, string?>
            {
                ["Trinity__ContainerManager__AgentCallTimeout"] = "00:00:02",
                ["Trinity__ContainerManager__DrainTimeToLive"] = "00:00:03",
            });
            var manager = await Observer.Bus.GetSendEndpoint(EntityNames.QueueAddress(EntityNames.Queues.ContainerManagerOf(DockerHostName.Local)));

            var patient = proxies["patient"].Client;
            Turn = await patient.StartTurnAsync(durationSeconds: 8);
            PatientProxy.DelayNext("GET /api/turns", TimeSpan.FromSeconds(3));
            await manager.Send(new RecreateContainer { RotationId = Guid.NewGuid(), AgentName = "patient", Reason = "a test", DrainTimeout = TimeSpan.FromSeconds(30), FencingToken = 0 });
            // Past the drain's 3 s time to live: only a renewed drain still refuses turns.
            await Task.Delay(TimeSpan.FromSeconds(5));
            using (var midDrain = await patient.SendAsync(HttpMethod.Post, "/api/turns", new { prompt = "not now" }))
                TurnMidDrain = midDrain.StatusCode;
            // The manager stops the container as soon as it sees no turn running, and the new one answers another
            // control key: it is told "unavailable" until the test, asking the agent past the proxy, saw the turn end.
            using (PatientProxy.Answer("GET " + AgentPaths.RunningTurns, 503))
                Turn = await proxies["patient"].Direct.WaitForTurnToEndAsync(Turn.Id, TimeSpan.FromSeconds(30));

            proxies["routeless"].Proxy.Answer("POST /api/drain", 404);
            await manager.Send(new RecreateContainer { RotationId = Guid.NewGuid(), AgentName = "routeless", Reason = "a test", DrainTimeout = TimeSpan.FromSeconds(30), FencingToken = 0 });
            await Eventually.Until(() => Observer.Received<ContainerRecreated>().Count == 2, "both recreates to finish", TimeSpan.FromSeconds(90));
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void The_slow_poll_did_not_cut_the_drain_short_the_turn_completed_before_the_stop()
    {
        Assert.Equal("Completed", scenario.Turn.Ending);
        var recreated = Assert.Single(scenario.Observer.Received<ContainerRecreated>(), r => r.AgentName == "patient");
        Assert.Equal((0, true), (recreated.TurnsOutlivingDrain, recreated.Drained));
        Assert.Contains(scenario.PatientProxy.RequestLines, line => line.StartsWith("GET /api/turns", StringComparison.Ordinal));
    }

    [Fact]
    public void The_drain_was_renewed_while_it_lasted()
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, scenario.TurnMidDrain);
        Assert.True(scenario.PatientProxy.RequestLines.Count(line => line.StartsWith("POST /api/drain", StringComparison.Ordinal)) >= 2);
    }

    [Fact]
    public void An_agent_without_the_drain_route_is_recreated_without_waiting_and_says_so()
    {
        var recreated = Assert.Single(scenario.Observer.Received<ContainerRecreated>(), r => r.AgentName == "routeless");
        Assert.False(recreated.Drained);
    }
}
