using System.Security.Cryptography;
using Trinity.Hosting.Logging;
using Trinity.Infrastructure.Secrets;

namespace Trinity.Contracts.Tests;

public sealed class Secrets_at_rest
{
    const string Token = "sk-ant-oat01-unit-test-token-0123456789";

    [Fact]
    public void Round_trip_and_never_store_the_plaintext()
    {
        var cipher = new SecretCipher(SecretCipher.GenerateKey());
        var sealedBox = cipher.Encrypt(Token);
        Assert.DoesNotContain(System.Text.Encoding.UTF8.GetBytes("sk-ant"), SlidingWindows(sealedBox, 6));
        Assert.Equal(Token, cipher.Decrypt(sealedBox));
    }

    [Fact]
    public void Stay_readable_under_the_previous_key_while_the_key_rotates()
    {
        var oldKey = SecretCipher.GenerateKey();
        var sealedUnderOld = new SecretCipher(oldKey).Encrypt(Token);
        var rotated = new SecretCipher(SecretCipher.GenerateKey(), previousBase64Key: oldKey);
        Assert.Equal(Token, rotated.Decrypt(sealedUnderOld));
        Assert.True(rotated.NeedsReEncryption(sealedUnderOld));
        Assert.False(rotated.NeedsReEncryption(rotated.Encrypt(Token)));
    }

    [Fact]
    public void Under_a_wrong_key_fail_without_revealing_anything()
    {
        var sealedBox = new SecretCipher(SecretCipher.GenerateKey()).Encrypt(Token);
        var error = Assert.Throws<CryptographicException>(() => new SecretCipher(SecretCipher.GenerateKey()).Decrypt(sealedBox));
        Assert.DoesNotContain("sk-ant", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void Refuse_a_key_that_is_not_32_bytes_with_a_clear_message(string key)
    {
        var error = Assert.ThrowsAny<Exception>(() => new SecretCipher(key));
        Assert.Contains("Trinity:Encryption:Key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_shaped_text_and_registered_secrets_are_scrubbed_from_what_leaves_the_process()
    {
        SecretRedaction.Register("plain-secret-value-42");
        var scrubbed = SecretRedaction.Scrub($"agent said: invalid {Token} and plain-secret-value-42 rejected");
        Assert.DoesNotContain(Token, scrubbed, StringComparison.Ordinal);
        Assert.DoesNotContain("plain-secret-value-42", scrubbed, StringComparison.Ordinal);
        Assert.Contains(SecretRedaction.Mask, scrubbed, StringComparison.Ordinal);
    }

    static IEnumerable<byte[]> SlidingWindows(byte[] bytes, int size) =>
        Enumerable.Range(0, Math.Max(0, bytes.Length - size + 1)).Select(i => bytes[i..(i + size)]);
}
