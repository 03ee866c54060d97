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

        /// <summary>
        /// The queues of the container manager of one Docker host (a <see cref="Identity.DockerHostName"/>): recreates
        /// here; starts, removals and reads (the override file, adoptable containers) beside it, so none waits behind a
        /// recreate's drain. Only that host's manager consumes them, and it touches no other host's containers.
        /// </summary>
        public static string ContainerManagerOf(string host) => $"trinity.container-manager.host.{host}";

        public static string ContainerStartsOf(string host) => $"{ContainerManagerOf(host)}.starts";
        public static string ContainerRemovalsOf(string host) => $"{ContainerManagerOf(host)}.removals";
        public static string ContainerReadsOf(string host) => $"{ContainerManagerOf(host)}.reads";

        /// <summary>Every queue of the host's container manager.</summary>
        public static IReadOnlyList<string> ContainerManagerQueuesOf(string host) =>
            [ContainerManagerOf(host), ContainerStartsOf(host), ContainerRemovalsOf(host), ContainerReadsOf(host)];
    }

    /// <summary>
    /// Where a command for <paramref name="queue"/> is sent: the exchange bound to it, which declares no queue on the way
    /// (a sender's declaration would carry no queue type, and the broker refuses it for a quorum queue). Every service
    /// declares the command queues before its bus starts (<c>Bus/CommandQueues</c>).
    /// </summary>
    public static Uri QueueAddress(string queue) => new($"exchange:{queue}");
}
