using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.Tests.Decisions;

/// <summary>
/// How a hot-reload's outcome is known: observed by the fingerprint the agent reports, or — for an agent that reports
/// none, the reference agent — by its override file read back through the container manager; acknowledged when
/// nothing can be read. A missing fingerprint is never a mismatch, nor is the target's current key after a rollover
/// since the decision; any other is.
/// </summary>
public sealed class Verifying_a_hot_reload(OrchestratorStores stores) : DecisionSpecs(stores), IClassFixture<OrchestratorStores>
{
    static async Task<(AgentCredentialState Saga, Subscription Target)> ReloadingAsync(Decision d, string? containerId = null)
    {
        var a = await d.SubscriptionAsync("a");
        var b = await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        d.Agent(saga).ContainerId = containerId;
        await d.Db.SaveChangesAsync();
        Assert.Equal(NextState.Reloading, await d.Decisions.OnFailureAsync(saga, await d.ReportedAsync(Decision.Failure(saga, a), 429), default));
        return (saga, b);
    }

    [Fact]
    public Task The_fingerprint_the_agent_reports_makes_it_observed() => Within(async d =>
    {
        var (saga, b) = await ReloadingAsync(d);

        Assert.True(await d.Lifecycle.ConfirmReloadAsync(saga, b.TokenFingerprint, default));

        Assert.Equal((RotationOutcome.Succeeded, ReloadVerification.Observed, b.TokenFingerprint), (d.Rotation(saga)!.Outcome, d.Rotation(saga)!.Verification, d.Rotation(saga)!.ObservedFingerprint));
    });

    [Fact]
    public Task The_target_subscriptions_current_key_after_a_rollover_since_the_decision_is_not_a_mismatch() => Within(async d =>
    {
        var (saga, b) = await ReloadingAsync(d);
        var decidedOn = b.TokenFingerprint;
        b.TokenFingerprint = "0123456789ab";
        await d.Db.SaveChangesAsync();

        Assert.True(await d.Lifecycle.ConfirmReloadAsync(saga, "0123456789ab", default));

        var rotation = d.Rotation(saga)!;
        Assert.Equal((RotationOutcome.Succeeded, "0123456789ab", false), (rotation.Outcome, rotation.ObservedFingerprint, saga.OutOfSync));
        Assert.Contains($"not the {decidedOn} decided on", rotation.OutcomeDetail, StringComparison.Ordinal);
    });

    [Fact]
    public Task No_fingerprint_and_no_container_is_acknowledged_not_a_mismatch() => Within(async d =>
    {
        var (saga, _) = await ReloadingAsync(d);

        Assert.True(await d.Lifecycle.ConfirmReloadAsync(saga, null, default));

        var rotation = d.Rotation(saga)!;
        Assert.Equal((RotationOutcome.Succeeded, ReloadVerification.Acknowledged, null as string), (rotation.Outcome, rotation.Verification, rotation.ObservedFingerprint));
        Assert.Empty(d.Staged<ReadOverrideFile>());
        Assert.False(saga.OutOfSync);
    });

    [Fact]
    public Task No_fingerprint_from_an_agent_with_a_container_has_its_override_file_read_first() => Within(async d =>
    {
        var (saga, _) = await ReloadingAsync(d, containerId: "c0ffee");

        Assert.False(await d.Lifecycle.ConfirmReloadAsync(saga, "", default));

        var (read, destination) = Assert.Single(d.Staged<ReadOverrideFile>());
        Assert.Equal((saga.RotationId, saga.AgentName, "exchange:trinity.container-manager.host.local.reads"), (read.RotationId, read.AgentName, destination));
        Assert.Equal(RotationOutcome.InProgress, d.Rotation(saga)!.Outcome);
    });

    [Fact]
    public Task The_override_files_fingerprint_makes_it_observed() => Within(async d =>
    {
        var (saga, b) = await ReloadingAsync(d, containerId: "c0ffee");

        await d.Lifecycle.ConfirmByOverrideFileAsync(saga, Read(saga, b.TokenFingerprint), default);

        var rotation = d.Rotation(saga)!;
        Assert.Equal((RotationOutcome.Succeeded, ReloadVerification.Observed, b.TokenFingerprint), (rotation.Outcome, rotation.Verification, rotation.ObservedFingerprint));
        Assert.Equal("observed in the agent's override file", rotation.OutcomeDetail);
    });

    [Fact]
    public Task An_override_file_of_another_token_is_a_mismatch() => Within(async d =>
    {
        var (saga, _) = await ReloadingAsync(d, containerId: "c0ffee");

        await d.Lifecycle.ConfirmByOverrideFileAsync(saga, Read(saga, "ffffffffffff"), default);

        Assert.Equal((RotationOutcome.Failed, true), (d.Rotation(saga)!.Outcome, saga.OutOfSync));
        Assert.Contains("its override file holds ffffffffffff", d.Rotation(saga)!.OutcomeDetail, StringComparison.Ordinal);
    });

    [Fact]
    public Task An_override_file_that_cannot_be_read_leaves_it_acknowledged_with_the_reason() => Within(async d =>
    {
        var (saga, _) = await ReloadingAsync(d, containerId: "c0ffee");

        await d.Lifecycle.ConfirmByOverrideFileAsync(saga, Read(saga, null, "its container has no /var/lib/trinity/oauth-token"), default);

        var rotation = d.Rotation(saga)!;
        Assert.Equal((RotationOutcome.Succeeded, ReloadVerification.Acknowledged), (rotation.Outcome, rotation.Verification));
        Assert.EndsWith("its container has no /var/lib/trinity/oauth-token", rotation.OutcomeDetail, StringComparison.Ordinal);
    });

    static OverrideFileRead Read(AgentCredentialState saga, string? fingerprint, string? detail = null) =>
        new() { RotationId = saga.RotationId!.Value, AgentName = saga.AgentName, TokenFingerprint = fingerprint, Detail = detail };
}
