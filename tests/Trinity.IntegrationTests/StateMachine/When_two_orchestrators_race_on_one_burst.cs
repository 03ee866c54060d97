namespace Trinity.IntegrationTests.StateMachine;

/// <summary>Two Orchestrator processes consume the same queues: the reference system's in-process mutex could not serialize this.</summary>
public sealed class When_two_orchestrators_race_on_one_burst(When_two_orchestrators_race_on_one_burst.Scenario scenario)
    : IClassFixture<When_two_orchestrators_race_on_one_burst.Scenario>
{
    public sealed class Scenario() : BurstOnOneAgent(subscriptions: 2, orchestrators: 2, burst: 20);

    [Fact]
    public void Still_exactly_one_switch_is_made_counted_three_ways() =>
        Assert.Equal((1, 1, 1), (scenario.Switches.Count, scenario.Published.Count, scenario.ReloadsReceived));

    [Fact]
    public void Both_orchestrators_took_part()
    {
        // Each replica consumed some of the burst; otherwise the race never happened.
        var replicas = scenario.ServiceOutputs().Where(o => o.Contains("\"Service\":\"orchestrator\"", StringComparison.Ordinal)
            && o.Contains("Intake recorded", StringComparison.Ordinal)).ToList();
        Assert.True(replicas.Count >= 2, $"only {replicas.Count} orchestrator(s) handled reports");
    }
}
