using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Trinity.Infrastructure.Persistence;

namespace Trinity.Migrator;

/// <summary>For <c>dotnet ef migrations add</c> only: the model needs no live database to be diffed.</summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<TrinityDbContext>
{
    public TrinityDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TrinityDbContext>();
        PersistenceRegistration.Configure(options, "Host=127.0.0.1;Database=trinity_design");
        return new TrinityDbContext(options.Options);
    }
}
