using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Trinity.Infrastructure.Persistence.Sagas;

public sealed class AgentCredentialStateMap : IEntityTypeConfiguration<AgentCredentialState>
{
    public void Configure(EntityTypeBuilder<AgentCredentialState> builder)
    {
        builder.ToTable("agent_credential_states");
        builder.HasKey(x => x.CorrelationId);
        builder.Property(x => x.AgentName).HasMaxLength(63);
        builder.HasIndex(x => x.AgentName).IsUnique();
        builder.Property(x => x.CurrentState).HasMaxLength(32);
        builder.Property(x => x.RotationTrigger).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.RotationMethod).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.PendingRefreshReason).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.LastFailure).HasMaxLength(500);
        builder.HasIndex(x => x.RecheckAt);
        builder.Property(x => x.ExpectedFingerprint).HasMaxLength(12);
        builder.HasIndex(x => x.DeadlineAt);
    }
}
