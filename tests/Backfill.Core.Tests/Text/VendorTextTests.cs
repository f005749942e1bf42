using System.Globalization;
using System.Text;
using Backfill.Core.Text;

namespace Backfill.Core.Tests.Text;

public sealed class VendorTextTests
{
    [Theory]
    [InlineData("\u001b[2J\u001b[Hcleared", @"\x1b[2J\x1b[Hcleared")]
    [InlineData("\u001b]0;owned\u0007title", @"\x1b]0;owned\x07title")]
    [InlineData("one\r\ntwo\tthree\u0000", @"one\r\ntwo\tthree\x00")]
    [InlineData("del\u007f c1\u009b31m nel\u0085end", @"del\x7f c1\x9b31m nel\x85end")]
    [InlineData("\u202Eexe.txt \u2066iso\u2069 zw\u200Bsp\u200D bom\uFEFF", @"\u202eexe.txt \u2066iso\u2069 zw\u200bsp\u200d bom\ufeff")]
    [InlineData("line\u2028para\u2029end", @"line\u2028para\u2029end")]
    [InlineData("tag \U000E0041 smuggled", @"tag \U000e0041 smuggled")]
    public void Control_format_and_separator_characters_are_shown_as_visible_escapes(string text, string shown)
    {
        Assert.Equal(shown, VendorText.Sanitize(text));
    }

    [Fact]
    public void Unpaired_surrogates_are_shown_as_escapes()
    {
        Assert.Equal(@"lone \ud800 and \udc00 surrogates", VendorText.Sanitize("lone \ud800 and \udc00 surrogates"));
    }

    [Theory]
    [InlineData("plain text")]
    [InlineData("Zürich, 東京, emoji 😀, \u00a0nbsp, backslash \\x1b stays")]
    public void Printable_text_is_returned_as_it_is(string text)
    {
        Assert.Same(text, VendorText.Sanitize(text));
    }

    [Fact]
    public void Null_and_blank_give_an_empty_string_and_surrounding_whitespace_is_trimmed()
    {
        Assert.Equal(string.Empty, VendorText.Sanitize(null));
        Assert.Equal(string.Empty, VendorText.Sanitize(" \r\n\t "));
        Assert.Equal("body", VendorText.Sanitize("\n  body\r\n"));
    }

    [Fact]
    public void Long_text_is_cut_with_a_marker_that_says_how_much_was_left_out()
    {
        var text = new string('a', 1_000_000);
        Assert.Equal(new string('a', 300) + "…[999,700 characters cut]", VendorText.Sanitize(text));
        Assert.Equal("abc…[3 characters cut]", VendorText.Sanitize("abcdef", 3));
        Assert.Equal("…[6 characters cut]", VendorText.Sanitize("abcdef", 0));
        Assert.Equal("…[6 characters cut]", VendorText.Sanitize("abcdef", -5));
    }

    [Fact]
    public void The_limit_counts_escapes_and_never_splits_an_escape_or_a_surrogate_pair()
    {
        Assert.Equal(@"ab\x1b…[3 characters cut]", VendorText.Sanitize("ab\u001b\u001bcd", 7));
        Assert.Equal("ab…[4 characters cut]", VendorText.Sanitize("ab\u001b\u001bcd", 5));
        Assert.Equal("a…[2 characters cut]", VendorText.Sanitize("a😀", 2));
        Assert.Equal("a😀", VendorText.Sanitize("a😀", 3));
    }

    [Fact]
    public void Sanitizing_twice_changes_nothing_more()
    {
        var once = VendorText.Sanitize("x\u001b[2J\r\n\u202E" + new string('y', 500));
        Assert.Equal(once, VendorText.Sanitize(once, once.Length));
    }

    [Fact]
    public void Random_text_never_throws_and_never_yields_an_unsafe_character_or_more_than_the_limit()
    {
        var random = new Random(20240612);
        for (var round = 0; round < 2_000; round++)
        {
            var chars = new char[random.Next(0, 400)];
            for (var i = 0; i < chars.Length; i++)
            {
                // Mostly the interesting ranges: controls, C1, surrogates, format characters, plus anything.
                chars[i] = random.Next(6) switch
                {
                    0 => (char)random.Next(0, 0x20),
                    1 => (char)random.Next(0x7f, 0xa0),
                    2 => (char)random.Next(0xd800, 0xe000),
                    3 => "\u200b\u200e\u202a\u202e\u2066\u2069\u2028\u2029\ufeff\u00ad"[random.Next(10)],
                    _ => (char)random.Next(0, 0x10000),
                };
            }

            var limit = random.Next(0, 200);
            var shown = VendorText.Sanitize(new string(chars), limit);
            var cut = shown.IndexOf("…[", StringComparison.Ordinal);
            Assert.True((cut < 0 ? shown.Length : cut) <= limit, $"{shown.Length} > {limit}");
            for (var i = 0; i < shown.Length; i++)
            {
                if (char.IsHighSurrogate(shown[i]) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1]))
                {
                    Assert.False(Rune.GetUnicodeCategory(new Rune(shown[i], shown[i + 1])) is UnicodeCategory.Format or UnicodeCategory.Control);
                    i++;
                    continue;
                }

                Assert.False(char.IsSurrogate(shown[i]), $"unpaired surrogate at {i}");
                Assert.False(
                    CharUnicodeInfo.GetUnicodeCategory(shown[i]) is UnicodeCategory.Control or UnicodeCategory.Format
                        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator,
                    $"U+{(int)shown[i]:X4} at {i}");
            }
        }
    }
}
