using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Orchestrator.Rotations;

namespace Trinity.Orchestrator.Tests.Decisions;

/// <summary>
/// A deleted agent is brought to the database's view like any other: whatever the trigger, its container is removed
/// under a new fence, and once it is gone nothing of the agent is left to rotate — its instance ends and the name is free.
/// </summary>
public sealed class Deleting_an_agent(OrchestratorStores stores) : DecisionSpecs(stores), IClassFixture<OrchestratorStores>
{
    static AgentTokenRefreshRequested Deleted(string agentName) => AgentTokenRefreshRequested.ToDatabaseView(agentName, TokenRefreshReason.AgentDeleted, Guid.NewGuid());

    [Fact]
    public Task The_delete_has_the_container_manager_remove_the_container_under_a_new_fence_and_the_lease() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var saga = await d.AgentAsync(on: a);
        d.Agent(saga).DeletedAt = DateTimeOffset.UtcNow;
        await d.Db.SaveChangesAsync();

        Assert.Equal(NextState.Removing, await d.Decisions.OnRefreshAsync(saga, Deleted(saga.AgentName), default));

        var (command, destination) = Assert.Single(d.Staged<RemoveAgentContainer>());
        Assert.Equal((1L, saga.RotationId!.Value), (command.FencingToken, command.RotationId));
        Assert.Equal(EntityNames.QueueAddress(EntityNames.Queues.ContainerRemovalsOf(DockerHostName.Local)).ToString(), destination);
        Assert.Empty(d.Staged<ReloadToken>());
        Assert.Null(d.Agent(saga).SubscriptionId);
        Assert.Equal((SwitchTrigger.Deletion, SwitchMethod.Removed), (d.Rotation(saga)!.Trigger, d.Rotation(saga)!.Method));
        Assert.Equal(saga.RotationId.ToString(), await d.LeaseOwnerAsync(saga));
    });

    [Fact]
    public Task A_failure_of_a_deleted_agent_removes_it_rather_than_switching_it() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        await d.SubscriptionAsync("b");
        var saga = await d.AgentAsync(on: a);
        d.Agent(saga).DeletedAt = DateTimeOffset.UtcNow;
        await d.Db.SaveChangesAsync();
        var failure = Decision.Failure(saga, about: a);

        Assert.Equal(NextState.Removing, await d.Decisions.OnFailureAsync(saga, failure, default));

        Assert.Equal("ignored: the agent was deleted", d.FailureRecord(failure).Decision);
        Assert.Single(d.Staged<RemoveAgentContainer>());
        Assert.Empty(d.Staged<ReloadToken>());
    });

    [Fact]
    public Task A_failure_that_arrives_while_the_container_is_removed_is_ignored_not_kept() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var saga = await d.AgentAsync(on: a);
        d.Agent(saga).DeletedAt = DateTimeOffset.UtcNow;
        await d.Db.SaveChangesAsync();
        await d.Decisions.OnRefreshAsync(saga, Deleted(saga.AgentName), default);
        var failure = Decision.Failure(saga, about: a);

        await d.Decisions.DeferFailureAsync(saga, failure);

        Assert.StartsWith("ignored: rotation", d.FailureRecord(failure).Decision, StringComparison.Ordinal);
        Assert.Empty(saga.PendingFailureIds);
    });

    [Fact]
    public Task Once_the_container_is_gone_the_name_is_free_and_a_later_trigger_finds_nothing_to_remember() => Within(async d =>
    {
        var a = await d.SubscriptionAsync("a");
        var saga = await d.AgentAsync(on: a);
        d.Agent(saga).DeletedAt = DateTimeOffset.UtcNow;
        await d.Db.SaveChangesAsync();
        await d.Decisions.OnRefreshAsync(saga, Deleted(saga.AgentName), default);
        var rotationId = saga.RotationId!.Value;

        await d.Lifecycle.CompleteRemovalAsync(saga, new AgentContainerRemoved { RotationId = rotationId, AgentName = saga.AgentName, ContainerId = "c0ffee", TurnsOutlivingDrain = 0 }, default);

        Assert.NotNull((await d.Db.Agents.AsNoTracking().SingleAsync(x => x.Name == saga.AgentName)).RemovedAt);
        Assert.Null(await d.LeaseOwnerAsync(saga));
        Assert.Null(saga.RotationId);
        Assert.Equal(RotationOutcome.Succeeded, d.Rotation(saga)!.Outcome);
        Assert.Equal(NextState.Gone, await d.Decisions.OnRefreshAsync(saga, Deleted(saga.AgentName), default));
    });
}
