namespace Trinity.Messaging.Contracts;

/// <summary>
/// Exchange and queue names, set explicitly so that a rename in code never breaks a producer written in
/// another language. Each message type's exchange is on the type itself (<c>[EntityName]</c>).
/// </summary>
public static class EntityNames
{
    /// <summary>The one exchange every producer publishes failure reports to, as MassTransit messages or plain JSON.</summary>
    public const string FailureIntake = "trinity.failure-intake";

    /// <summary>Queues, one per consumer role; commands are sent to the exchange of the queue's name (<see cref="QueueAddress"/>).</summary>
    public static class Queues
    {
        public const string FailureIntake = "trinity.orchestrator.failure-intake";
        public const string AgentCredentials = "trinity.orchestrator.agent-credentials";
        public const string SubscriptionChanges = "trinity.orchestrator.subscription-changes";
        public const string RotationWorker = "trinity.rotation-worker";
        public const string ContainerManager = "trinity.container-manager";
        public const string ContainerStarts = "trinity.container-manager.starts";
        public const string ContainerRemovals = "trinity.container-manager.removals";
        public const string ContainerReads = "trinity.container-manager.reads";
    }

    /// <summary>
    /// Where a command for <paramref name="queue"/> is sent: the exchange bound to it, which declares no queue on the way
    /// (a sender's declaration would carry no queue type, and the broker refuses it for a quorum queue). Every service
    /// declares the command queues before its bus starts (<c>Bus/CommandQueues</c>).
    /// </summary>
    public static Uri QueueAddress(string queue) => new($"exchange:{queue}");
}
