using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Persistence.Sagas;

namespace Trinity.Infrastructure.Persistence;

/// <summary>The one schema of the system, migrated in one step before the services start.</summary>
public sealed class TrinityDbContext(DbContextOptions<TrinityDbContext> options) : DbContext(options)
{
    public DbSet<Subscription> Subscriptions => Set<Subscription>();
    public DbSet<SubscriptionKey> SubscriptionKeys => Set<SubscriptionKey>();
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<FailureRecord> Failures => Set<FailureRecord>();
    public DbSet<Rotation> Rotations => Set<Rotation>();
    public DbSet<AgentCredentialState> AgentCredentialStates => Set<AgentCredentialState>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<OutboxSender> OutboxSenders => Set<OutboxSender>();
    public DbSet<ParkedOutboxMessage> ParkedOutboxMessages => Set<ParkedOutboxMessage>();
    public DbSet<RecreateJournalEntry> RecreateJournal => Set<RecreateJournalEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Subscription>(entity =>
        {
            entity.HasKey(x => x.Id);
            entity.Property(x => x.Name).HasMaxLength(200);
            entity.HasIndex(x => x.Name).IsUnique();
            entity.Property(x => x.TokenFingerprint).HasMaxLength(12);
        });

        modelBuilder.Entity<SubscriptionKey>(entity =>
        {
            entity.HasKey(x => new { x.SubscriptionId, x.KeyVersion });
            entity.Property(x => x.TokenFingerprint).HasMaxLength(12);
            entity.HasIndex(x => x.TokenFingerprint);
            entity.HasOne<Subscription>().WithMany().HasForeignKey(x => x.SubscriptionId);
        });

        modelBuilder.Entity<Agent>(entity =>
        {
            entity.HasKey(x => x.Name);
            entity.Property(x => x.Name).HasMaxLength(63);
            entity.Property(x => x.DockerHost).HasMaxLength(Messaging.Contracts.Identity.DockerHostName.MaxLength);
            entity.HasIndex(x => x.SubscriptionId);
            entity.HasOne<Subscription>().WithMany().HasForeignKey(x => x.SubscriptionId).OnDelete(DeleteBehavior.Restrict);
            entity.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16).HasDefaultValue(AgentKind.Managed).HasSentinel(AgentKind.Managed);
        });

        modelBuilder.Entity<FailureRecord>(entity =>
        {
            entity.ToTable("failures");
            entity.HasKey(x => x.Id);
            entity.Property(x => x.Kind).HasConversion<string>().HasMaxLength(32);
            entity.Property(x => x.Source).HasConversion<string>().HasMaxLength(16);
            entity.Property(x => x.ErrorMessage).HasMaxLength(2000);
            entity.HasIndex(x => new { x.SubscriptionId, x.OccurredAt });
            entity.HasIndex(x => new { x.AgentName, x.RecordedAt });
            // Retention deletes by the time the report was recorded (the server's clock, not the producer's).
            entity.HasIndex(x => x.RecordedAt);
        });

        modelBuilder.Entity<Rotation>(entity =>
        {
            entity.HasKey(x => x.Id);
            entity.Property(x => x.Trigger).HasConversion<string>().HasMaxLength(16);
            entity.Property(x => x.Method).HasConversion<string>().HasMaxLength(16);
            entity.Property(x => x.Outcome).HasConversion<string>().HasMaxLength(16);
            entity.Property(x => x.Verification).HasConversion<string>().HasMaxLength(16);
            entity.Property(x => x.TraceId).HasMaxLength(32);
            entity.HasIndex(x => new { x.AgentName, x.StartedAt });
            entity.HasIndex(x => x.StartedAt);
        });

        modelBuilder.Entity<OutboxMessage>(entity =>
        {
            entity.HasKey(x => x.Id);
            entity.Property(x => x.Id).UseIdentityAlwaysColumn();
            entity.Property(x => x.Body).HasColumnType("jsonb");
            entity.HasIndex(x => x.MessageId).IsUnique();
            entity.HasIndex(x => x.ClaimedBy);
            entity.Property(x => x.TraceParent).HasMaxLength(55);
        });

        modelBuilder.Entity<OutboxSender>(entity => entity.HasKey(x => x.Id));

        modelBuilder.Entity<RecreateJournalEntry>(entity =>
        {
            entity.ToTable("recreate_journal");
            entity.HasKey(x => x.AgentName);
            entity.Property(x => x.AgentName).HasMaxLength(63);
            entity.Property(x => x.Step).HasConversion<string>().HasMaxLength(16);
        });

        modelBuilder.Entity<ParkedOutboxMessage>(entity =>
        {
            entity.ToTable("outbox_parked");
            entity.HasKey(x => x.Id);
            entity.Property(x => x.Id).ValueGeneratedNever();
        });

        modelBuilder.ApplyConfiguration(new AgentCredentialStateMap());
    }
}
