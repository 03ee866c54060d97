namespace Trinity.Infrastructure.Persistence;

/// <summary>
/// Work that must happen only once the current message's transaction has committed — releasing an agent's
/// lease, say: released before the commit, another actor could act on a decision that then rolls back.
/// Scoped to one message; run by whoever owns the transaction.
/// </summary>
public sealed class AfterCommit
{
    readonly List<Func<Task>> _actions = [];

    public void Add(Func<Task> action) => _actions.Add(action);

    public async Task RunAsync()
    {
        foreach (var action in _actions)
            await action();
        _actions.Clear();
    }

    public void Discard() => _actions.Clear();
}
