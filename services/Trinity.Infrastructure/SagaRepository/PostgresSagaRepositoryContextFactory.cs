using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Trinity.Hosting.Faults;
using Trinity.Infrastructure.Outbox;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Infrastructure.SagaRepository;

/// <summary>
/// Saga persistence on PostgreSQL (MassTransit.EntityFrameworkCore is not available here): one transaction per
/// message, the instance loaded with <c>SELECT … FOR UPDATE</c> so that replicas serialize on the row, and
/// whatever the transition staged in the outbox committed with it. Conflicts (40001, 23505, a concurrent
/// insert) surface as exceptions for the endpoint's retry policy.
/// </summary>
public sealed class PostgresSagaRepositoryContextFactory<TSaga>(
    TrinityDbContext db,
    ISagaConsumeContextFactory<TrinityDbContext, TSaga> consumeContextFactory,
    OutboxWriter outbox,
    FaultPoints faults) : ISagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    public void Probe(ProbeContext context) => context.Add("persistence", "postgresql");

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        await using var transaction = await db.Database.BeginTransactionAsync(context.CancellationToken);
        await next.Send(new PostgresSagaRepositoryContext<TSaga, T>(db, context, consumeContextFactory));
        // The transition's state and what it staged commit together, and go out at once; the relay only catches
        // what this could not send.
        await outbox.SaveAndSendAsync(transaction, context.CancellationToken, afterCommit: () => faults.ReachedAsync("saga-committed", context.CancellationToken));
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException("Agent state machines are correlated by id (the agent's name-based UUID), never by query.");
}
