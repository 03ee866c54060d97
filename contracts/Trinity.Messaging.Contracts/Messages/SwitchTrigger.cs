namespace Trinity.Messaging.Contracts.Messages;

public enum SwitchTrigger
{
    AutoSwitch = 1,
    Manual = 2,
    Rollover = 3,
    Removal = 4,
}
