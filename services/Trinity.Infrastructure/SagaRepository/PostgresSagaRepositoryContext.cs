using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Infrastructure.SagaRepository;

/// <summary>One message's view of the saga table, inside the transaction <see cref="PostgresSagaRepositoryContextFactory{TSaga}"/> opened.</summary>
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
