using Trinity.Messaging.Contracts.Failures;

namespace Trinity.Contracts.Tests;

/// <summary>Text from a producer made storable in PostgreSQL and encodable as UTF-8, cut only on whole characters.</summary>
public sealed class Cleaning_producer_text
{
    [Theory]
    [InlineData("exec\0-1", 100, "exec-1")]
    [InlineData("\0\0", 100, null)]
    [InlineData("", 100, null)]
    [InlineData("ab\U0001F600", 3, "ab")]
    [InlineData("ab\U0001F600", 4, "ab\U0001F600")]
    [InlineData("abcdef", 3, "abc")]
    public void Nul_is_removed_and_a_cut_never_splits_a_surrogate_pair(string text, int limit, string? cleaned) =>
        Assert.Equal(cleaned, CleanText.Bound(text, limit));

    [Fact]
    public void A_lone_surrogate_becomes_the_replacement_character()
    {
        // Built here: a test case's data cannot carry half a pair through xunit's serialization.
        Assert.Equal("a\uFFFDb", CleanText.Bound("a" + (char)0xD83D + "b", 100));
        Assert.Equal("a\uFFFD", CleanText.Bound("a" + (char)0xDE00, 100));
    }

    [Fact]
    public void A_token_is_scrubbed_before_the_cut_so_no_part_of_it_survives()
    {
        var text = new string('x', 480) + " sk-ant-oat01-" + new string('a', 40);
        Assert.Equal(new string('x', 480) + " [redacted]", TokenShapedText.ScrubAndTruncate(text, 500));
    }
}
