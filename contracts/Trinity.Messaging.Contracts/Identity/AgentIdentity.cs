using System.Security.Cryptography;
using System.Text;

namespace Trinity.Messaging.Contracts.Identity;

/// <summary>
/// The saga's CorrelationId for an agent: a name-based UUID (version 5, RFC 9562) of the normalised agent
/// name, so every message about an agent reaches the same state machine instance without a lookup, and the
/// primary key itself stops a second instance from being created.
/// </summary>
public static class AgentIdentity
{
    /// <summary>Never change this value: every stored saga instance is keyed under it.</summary>
    public static readonly Guid Namespace = new("6f3b9a52-0c1e-4d8a-9a57-2b7e4c1d9e10");

    public static Guid For(string agentName) => NameBased(Namespace, AgentName.Normalize(agentName));

    /// <summary>A version 5 UUID of <paramref name="name"/> under <paramref name="namespaceId"/>.</summary>
    public static Guid NameBased(Guid namespaceId, string name)
    {
        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetMaxByteCount(name.Length)];
        namespaceId.TryWriteBytes(input, bigEndian: true, out _);
        var length = 16 + Encoding.UTF8.GetBytes(name, input[16..]);

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for version 5; it is not used for security here.
        SHA1.HashData(input[..length], hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(hash[..16], bigEndian: true);
    }
}
