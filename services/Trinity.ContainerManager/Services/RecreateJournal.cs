using System.Text.Json;
using Docker.DotNet.Models;
using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Infrastructure.Secrets;

namespace Trinity.ContainerManager.Services;

/// <summary>
/// Where a recreate keeps what it needs to finish — or to put the agent back — after a crash: written before anything
/// is stopped, advanced after each step, deleted when the agent runs again. The old container's configuration (its
/// environment holds tokens) is encrypted.
/// </summary>
public sealed class RecreateJournal(TrinityDbContext db, SecretCipher cipher)
{
    static readonly JsonSerializerOptions Json = new();

    public Task<RecreateJournalEntry?> FindAsync(string agentName, CancellationToken cancellationToken) =>
        db.RecreateJournal.SingleOrDefaultAsync(j => j.AgentName == agentName, cancellationToken);

    public async Task<RecreateJournalEntry> BeginAsync(string agentName, Guid rotationId, ContainerInspectResponse old, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var entry = new RecreateJournalEntry
        {
            AgentName = agentName,
            RotationId = rotationId,
            Step = RecreateStep.Inspected,
            OldContainerId = old.ID,
            EncryptedOldConfiguration = cipher.Encrypt(JsonSerializer.Serialize(old, Json)),
            Drained = true,
            StartedAt = now,
            UpdatedAt = now,
        };
        db.RecreateJournal.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return entry;
    }

    public ContainerInspectResponse OldContainer(RecreateJournalEntry entry) =>
        JsonSerializer.Deserialize<ContainerInspectResponse>(cipher.Decrypt(entry.EncryptedOldConfiguration), Json)
        ?? throw new InvalidOperationException($"The recreate journal of agent {entry.AgentName} holds no configuration.");

    /// <summary>Records that <paramref name="step"/> is done (with what it produced), before the next one starts.</summary>
    public async Task AdvanceAsync(RecreateJournalEntry entry, RecreateStep step, CancellationToken cancellationToken)
    {
        entry.Step = step;
        entry.UpdatedAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task EndAsync(RecreateJournalEntry entry, CancellationToken cancellationToken)
    {
        db.RecreateJournal.Remove(entry);
        await db.SaveChangesAsync(cancellationToken);
    }
}
