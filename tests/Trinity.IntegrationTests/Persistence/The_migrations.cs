using Microsoft.EntityFrameworkCore;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Persistence;

/// <summary>The fixture creates an empty database and runs the real migrator on it, as the set-up does before the services start.</summary>
public sealed class The_migrations(TrinityTestSystem system) : IClassFixture<TrinityTestSystem>
{
    [Fact]
    public async Task Create_the_whole_schema_on_an_empty_database()
    {
        await using var db = system.NewDbContext();
        var tables = await db.Database.SqlQuery<string>($"SELECT table_name AS \"Value\" FROM information_schema.tables WHERE table_schema = 'public'").ToListAsync();
        Assert.Superset(
            new HashSet<string> { "subscriptions", "subscription_keys", "agents", "failures", "rotations", "agent_credential_states", "outbox_messages" },
            tables.ToHashSet());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task Are_safe_to_run_again()
    {
        await using var again = system.Start("Trinity.Migrator", "migrator-again");
        await again.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("Schema is up to date.", again.OutputText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refuse_to_run_without_a_connection_string_and_say_why()
    {
        await using var migrator = system.Start("Trinity.Migrator", "migrator-unconfigured",
            new Dictionary<string, string?> { ["Trinity__Postgres__ConnectionString"] = null });
        await migrator.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, migrator.ExitCode);
        Assert.Contains("Trinity:Postgres:ConnectionString is required", migrator.OutputText, StringComparison.Ordinal);
    }
}
