using Trinity.Messaging.Contracts.Identity;

namespace Trinity.Contracts.Tests;

public sealed class Token_fingerprints
{
    [Fact]
    public void Are_the_first_12_hex_characters_of_sha256() =>
        Assert.Equal("ba7816bf8f01", TokenFingerprint.Of("abc"));

    [Fact]
    public void Are_recognised_only_in_their_exact_shape()
    {
        Assert.True(TokenFingerprint.IsWellFormed(TokenFingerprint.Of("sk-ant-oat01-x")));
        Assert.False(TokenFingerprint.IsWellFormed("BA7816BF8F01"));
        Assert.False(TokenFingerprint.IsWellFormed("ba7816bf8f0"));
        Assert.False(TokenFingerprint.IsWellFormed(null));
    }
}
