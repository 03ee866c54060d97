using MassTransit;

namespace Trinity.Messaging.Contracts.Messages;

/// <summary>
/// The Orchestrator's own deadline enforcer: a rotation's deadline passed and its lease was no longer renewed.
/// Deadlines live in PostgreSQL (the broker here has no delayed-message plugin).
/// </summary>
[EntityName("trinity.rotation-deadline-passed")]
[MessageUrn("trinity:rotation-deadline-passed")]
public sealed record RotationDeadlinePassed
{
    public required Guid RotationId { get; init; }
    public required string AgentName { get; init; }
    public required DateTimeOffset Deadline { get; init; }
}
