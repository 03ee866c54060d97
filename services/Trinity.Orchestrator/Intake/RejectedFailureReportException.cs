namespace Trinity.Orchestrator.Intake;

/// <summary>A failure report that can never be processed; it goes to <c>_error</c> at once, with this reason.</summary>
public sealed class RejectedFailureReportException(string reason) : Exception($"Failure report refused: {reason}");
