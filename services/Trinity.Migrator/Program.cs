using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Trinity.Infrastructure.Configuration;
using Trinity.Infrastructure.Persistence;

// The one step that changes the schema, run before the services start (never concurrently from replicas).
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
var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
await db.Database.MigrateAsync();
Console.WriteLine(pending.Count == 0 ? "Schema is up to date." : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}");
return 0;
