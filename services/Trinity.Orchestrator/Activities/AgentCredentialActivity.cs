using MassTransit;
using Trinity.Infrastructure.Persistence.Sagas;

namespace Trinity.Orchestrator.Activities;

/// <summary>The plumbing every activity of the agent's state machine shares; subclasses say only what they do.</summary>
public abstract class AgentCredentialActivity<TMessage> : IStateMachineActivity<AgentCredentialState, TMessage>
    where TMessage : class
{
    public void Probe(ProbeContext context) => context.CreateScope(GetType().Name);

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);

    public async Task Execute(BehaviorContext<AgentCredentialState, TMessage> context, IBehavior<AgentCredentialState, TMessage> next)
    {
        await Execute(context);
        await next.Execute(context);
    }

    public Task Faulted<TException>(BehaviorExceptionContext<AgentCredentialState, TMessage, TException> context,
        IBehavior<AgentCredentialState, TMessage> next)
        where TException : Exception => next.Faulted(context);

    protected abstract Task Execute(BehaviorContext<AgentCredentialState, TMessage> context);
}
