using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Secrets;
using Trinity.IntegrationTests.WalkingSkeleton;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Deployment;

/// <summary>
/// docs/deployment.md's key rotation: the new key becomes Trinity:Encryption:Key, the old one PreviousKey,
/// `Trinity.Migrator reencrypt` re-encrypts every stored token and control key; then the services run with the
/// new key alone — the old one is gone — and an agent still moves to another subscription.
/// </summary>
public sealed class When_the_encryption_key_is_rotated(When_the_encryption_key_is_rotated.Scenario scenario)
    : IClassFixture<When_the_encryption_key_is_rotated.Scenario>
{
    public sealed class Scenario : TwoSubscriptionsOneAgent
    {
        public string NewKey { get; } = SecretCipher.GenerateKey();
        public string FirstRun { get; private set; } = "";
        public string SecondRun { get; private set; } = "";

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            FirstRun = await ReEncryptAsync();
            SecondRun = await ReEncryptAsync();

            var newKeyOnly = new Dictionary<string, string?> { ["Trinity__Encryption__Key"] = NewKey };
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync(extra: newKeyOnly);
            await ReportRateLimitOnAAsync();
            await WaitUntilAgentRunsAsync(TokenB);
            await Eventually.Until(() => Observer.Received<AgentSubscriptionSwitched>().Count > 0, "the switch to be published");
        }

        async Task<string> ReEncryptAsync()
        {
            var environment = ServiceEnvironment();
            environment["Trinity__Encryption__PreviousKey"] = EncryptionKey;
            environment["Trinity__Encryption__Key"] = NewKey;
            await using var migrator = ServiceProcess.StartExecutable("dotnet", [RepositoryPaths.ServiceAssembly("Trinity.Migrator"), "reencrypt"],
                "reencrypt", environment, LogDirectory, "Re-encrypted");
            await migrator.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(migrator.ExitCode == 0, migrator.Tail());
            return migrator.OutputText;
        }
    }

    [Fact]
    public void Every_stored_secret_is_re_encrypted_once()
    {
        Assert.Contains("Re-encrypted 2 subscription tokens and 1 agent control keys", scenario.FirstRun, StringComparison.Ordinal);
        Assert.Contains("Re-encrypted 0 subscription tokens and 0 agent control keys", scenario.SecondRun, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_new_key_alone_opens_every_stored_secret_and_the_old_one_opens_none()
    {
        var (newOnly, oldOnly) = (new SecretCipher(scenario.NewKey), new SecretCipher(scenario.EncryptionKey));
        await using var db = scenario.NewDbContext();
        var secrets = (await db.Subscriptions.Select(s => s.EncryptedToken).ToListAsync())
            .Concat(await db.Agents.Where(a => a.EncryptedControlKey != null).Select(a => a.EncryptedControlKey!).ToListAsync()).ToList();
        Assert.Equal(3, secrets.Count);
        Assert.All(secrets, secret => Assert.False(newOnly.NeedsReEncryption(secret)));
        Assert.All(secrets, secret => Assert.True(oldOnly.NeedsReEncryption(secret)));
        Assert.Equal([scenario.TokenA, scenario.TokenB], (await db.Subscriptions.OrderBy(s => s.Name).Select(s => s.EncryptedToken).ToListAsync()).Select(newOnly.Decrypt));
    }

    [Fact]
    public async Task A_worker_with_only_the_new_key_still_moves_the_agent()
    {
        Assert.Equal(TokenFingerprint.Of(scenario.TokenB), (await scenario.AgentServer.LiveCredentialAsync()).Fingerprint);
        Assert.Equal(SwitchMethod.HotReload, Assert.Single(scenario.Observer.Received<AgentSubscriptionSwitched>()).Method);
    }
}
