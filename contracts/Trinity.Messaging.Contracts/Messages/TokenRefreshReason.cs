namespace Trinity.Messaging.Contracts.Messages;

public enum TokenRefreshReason
{
    Rollover = 1,
    Removal = 2,
}
