using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Outbox;

namespace Trinity.Infrastructure.Persistence.Sagas;

/// <summary>
/// Saga persistence on PostgreSQL (MassTransit.EntityFrameworkCore is not available here): one transaction per
/// message, the instance loaded with <c>SELECT … FOR UPDATE</c> so that replicas serialize on the row, and
/// whatever the transition staged in the outbox committed with it. Conflicts (40001, 23505, a concurrent
/// insert) surface as exceptions for the endpoint's retry policy.
/// </summary>
public sealed class PostgresSagaRepositoryContextFactory<TSaga>(
    TrinityDbContext db,
    ISagaConsumeContextFactory<TrinityDbContext, TSaga> consumeContextFactory,
    OutboxDispatcher outbox,
    IOptions<FaultInjectionOptions> faults) : ISagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    public void Probe(ProbeContext context) => context.Add("persistence", "postgresql");

    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class
    {
        await using (var transaction = await db.Database.BeginTransactionAsync(context.CancellationToken))
        {
            var repositoryContext = new PostgresSagaRepositoryContext<TSaga, T>(db, context, consumeContextFactory);
            await next.Send(repositoryContext);
            await transaction.CommitAsync(context.CancellationToken);
        }

        if (faults.Value.ExitAfterSagaCommit)
            FaultInjectionOptions.Crash("after a saga commit, before its outbox rows are sent");
        // What the transition decided goes out now; the relay only catches what this could not send.
        await outbox.DispatchCommittedAsync(db, context.CancellationToken);
    }

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        throw new NotSupportedException("Agent state machines are correlated by id (the agent's name-based UUID), never by query.");
}

public sealed class PostgresSagaRepositoryContext<TSaga, TMessage>(
    TrinityDbContext db,
    ConsumeContext<TMessage> consumeContext,
    ISagaConsumeContextFactory<TrinityDbContext, TSaga> factory)
    : MassTransit.Context.ConsumeContextScope<TMessage>(consumeContext, db), SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, ISaga
    where TMessage : class
{
    readonly string _table = db.Model.FindEntityType(typeof(TSaga))?.GetTableName()
        ?? throw new InvalidOperationException($"{typeof(TSaga).Name} is not mapped in {nameof(TrinityDbContext)}.");

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance) =>
        factory.CreateSagaConsumeContext(db, this, instance, SagaConsumeContextMode.Add);

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        var entry = await db.Set<TSaga>().AddAsync(instance, CancellationToken);
        try
        {
            await db.SaveChangesAsync(CancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another message created the instance first; the caller loads it instead.
            entry.State = EntityState.Detached;
            return default!;
        }
        return await factory.CreateSagaConsumeContext(db, this, instance, SagaConsumeContextMode.Insert);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
#pragma warning disable EF1002 // the table name comes from the EF model, never from input
        var instance = await db.Set<TSaga>()
            .FromSqlRaw($"SELECT * FROM \"{_table}\" WHERE correlation_id = {{0}} FOR UPDATE", correlationId)
            .SingleOrDefaultAsync(CancellationToken);
#pragma warning restore EF1002
        return instance is null ? default! : await factory.CreateSagaConsumeContext(db, this, instance, SagaConsumeContextMode.Load);
    }

    public async Task Save(SagaConsumeContext<TSaga> context)
    {
        await db.Set<TSaga>().AddAsync(context.Saga, CancellationToken);
        await db.SaveChangesAsync(CancellationToken);
    }

    public Task Update(SagaConsumeContext<TSaga> context) => db.SaveChangesAsync(CancellationToken);

    public async Task Delete(SagaConsumeContext<TSaga> context)
    {
        db.Set<TSaga>().Remove(context.Saga);
        await db.SaveChangesAsync(CancellationToken);
    }

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context)
    {
        var entry = db.ChangeTracker.Entries<TSaga>().FirstOrDefault(x => x.Entity.CorrelationId == context.Saga.CorrelationId);
        if (entry is not null)
            entry.State = EntityState.Unchanged;
        return Task.CompletedTask;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        factory.CreateSagaConsumeContext(db, consumeContext, instance, mode);
}
