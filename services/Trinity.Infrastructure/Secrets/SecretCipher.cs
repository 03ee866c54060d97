using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.Configuration;

namespace Trinity.Infrastructure.Secrets;

/// <summary>
/// AES-256-GCM for secrets at rest (subscription tokens, agent control keys). Layout: 12-byte nonce,
/// ciphertext, 16-byte tag. Encrypts with the current key; decrypts with the current or the previous one,
/// so stored secrets stay readable while the key rotates.
/// </summary>
public sealed class SecretCipher
{
    const int NonceSize = 12;
    const int TagSize = 16;
    readonly byte[] _key;
    readonly byte[]? _previousKey;

    public SecretCipher(IOptions<EncryptionOptions> options)
        : this(options.Value.Key, options.Value.PreviousKey)
    {
    }

    public SecretCipher(string base64Key, string? previousBase64Key = null)
    {
        _key = ParseKey(base64Key, "Trinity:Encryption:Key");
        _previousKey = string.IsNullOrWhiteSpace(previousBase64Key) ? null : ParseKey(previousBase64Key, "Trinity:Encryption:PreviousKey");
    }

    public static string GenerateKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public byte[] Encrypt(string secret)
    {
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var sealedBox = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBox.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBox.AsSpan(NonceSize, plaintext.Length), sealedBox.AsSpan(NonceSize + plaintext.Length));
        return sealedBox;
    }

    public string Decrypt(byte[] sealedBox)
    {
        if (TryDecrypt(_key, sealedBox, out var secret) || (_previousKey is not null && TryDecrypt(_previousKey, sealedBox, out secret)))
            return secret;
        throw new CryptographicException("A stored secret could not be decrypted with the configured key(s) (Trinity:Encryption:Key / PreviousKey).");
    }

    /// <summary>True when the secret was sealed with the previous key and should be re-encrypted.</summary>
    public bool NeedsReEncryption(byte[] sealedBox) => !TryDecrypt(_key, sealedBox, out _);

    static bool TryDecrypt(byte[] key, byte[] sealedBox, out string secret)
    {
        secret = "";
        if (sealedBox.Length < NonceSize + TagSize)
            return false;
        var cipherLength = sealedBox.Length - NonceSize - TagSize;
        var plaintext = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedBox.AsSpan(0, NonceSize), sealedBox.AsSpan(NonceSize, cipherLength), sealedBox.AsSpan(NonceSize + cipherLength), plaintext);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        secret = Encoding.UTF8.GetString(plaintext);
        return true;
    }

    static byte[] ParseKey(string base64, string name)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{name} is not valid base64.");
        }
        return key.Length == 32 ? key : throw new InvalidOperationException($"{name} must be 32 bytes (base64 of 32 random bytes), got {key.Length}.");
    }
}
