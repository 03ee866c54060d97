using System.ComponentModel.DataAnnotations;

namespace Trinity.Infrastructure.Configuration;

/// <summary>
/// Section <c>Trinity:Encryption</c>: the AES-256 key for tokens and control keys at rest, base64 of 32 bytes.
/// <see cref="PreviousKey"/> is accepted for decryption only, while the key itself rotates.
/// </summary>
public sealed class EncryptionOptions
{
    public const string Section = "Trinity:Encryption";

    [Required(ErrorMessage = "Trinity:Encryption:Key is required (environment: Trinity__Encryption__Key): base64 of 32 random bytes.")]
    public string Key { get; set; } = "";

    public string? PreviousKey { get; set; }
}
