namespace Trinity.Messaging.Contracts.Messages;

public enum RecreateSkipReason
{
    NoContainer = 1,
    NotRunning = 2,
}
