using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Secrets;

// `Trinity.Migrator`: the one step that changes the schema, run before the services start (never concurrently
// from replicas). `Trinity.Migrator reencrypt`: after Trinity:Encryption:Key was given a new value and the old one
// moved to Trinity:Encryption:PreviousKey, re-encrypts every stored token and control key under the new key, so
// that PreviousKey can then be removed.
var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
var connectionString = configuration.GetSection(PostgresOptions.Section).Get<PostgresOptions>()?.ConnectionString;
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("Trinity:Postgres:ConnectionString is required (environment: Trinity__Postgres__ConnectionString).");
    return 2;
}

var options = new DbContextOptionsBuilder<TrinityDbContext>();
PersistenceRegistration.Configure(options, connectionString);
await using var db = new TrinityDbContext(options.Options);

if (args is ["reencrypt"])
{
    var encryption = configuration.GetSection(EncryptionOptions.Section).Get<EncryptionOptions>();
    if (string.IsNullOrWhiteSpace(encryption?.Key))
    {
        Console.Error.WriteLine("Trinity:Encryption:Key (the new key) is required, and Trinity:Encryption:PreviousKey (the old one) to read what it replaces.");
        return 2;
    }
    var cipher = new SecretCipher(encryption.Key, encryption.PreviousKey);
    await using var transaction = await db.Database.BeginTransactionAsync();
    var subscriptions = 0;
    foreach (var subscription in await db.Subscriptions.ToListAsync())
    {
        if (!cipher.NeedsReEncryption(subscription.EncryptedToken))
            continue;
        subscription.EncryptedToken = cipher.Encrypt(cipher.Decrypt(subscription.EncryptedToken));
        subscriptions++;
    }
    var agents = 0;
    foreach (var agent in await db.Agents.Where(a => a.EncryptedControlKey != null).ToListAsync())
    {
        if (!cipher.NeedsReEncryption(agent.EncryptedControlKey!))
            continue;
        agent.EncryptedControlKey = cipher.Encrypt(cipher.Decrypt(agent.EncryptedControlKey!));
        agents++;
    }
    await db.SaveChangesAsync();
    await transaction.CommitAsync();
    Console.WriteLine($"Re-encrypted {subscriptions} subscription tokens and {agents} agent control keys under the new key; Trinity:Encryption:PreviousKey can now be removed.");
    return 0;
}
if (args.Length > 0)
{
    Console.Error.WriteLine($"Unknown command '{string.Join(' ', args)}': run with no argument to migrate, or `reencrypt`.");
    return 2;
}

var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
await db.Database.MigrateAsync();
Console.WriteLine(pending.Count == 0 ? "Schema is up to date." : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}");
return 0;
