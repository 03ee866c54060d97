using Trinity.Testing;

namespace Trinity.IntegrationTests.Persistence;

/// <summary>No key or password has a default: a service started without one refuses to start and names what is missing.</summary>
public sealed class Services_without_their_secrets(TrinityTestSystem system) : IClassFixture<TrinityTestSystem>
{
    [Theory]
    [InlineData("Trinity.Orchestrator", "Trinity__RabbitMq__Password", "Trinity:RabbitMq:Password is required")]
    [InlineData("Trinity.Orchestrator", "Trinity__Redis__Password", "Trinity:Redis:Password is required")]
    [InlineData("Trinity.RotationWorker", "Trinity__Encryption__Key", "Trinity:Encryption:Key is required")]
    [InlineData("Trinity.ContainerManager", "Trinity__Postgres__ConnectionString", "Trinity:Postgres:ConnectionString is required")]
    public async Task Refuse_to_start_and_say_which_setting_is_missing(string service, string variable, string message)
    {
        await using var process = system.Start(service, $"{service}-without-{variable}", new Dictionary<string, string?> { [variable] = null });
        await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains(message, process.OutputText, StringComparison.Ordinal);
    }
}
