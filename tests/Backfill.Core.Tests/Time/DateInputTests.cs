using Backfill.Core.Errors;
using Backfill.Core.Time;

namespace Backfill.Core.Tests.Time;

public sealed class DateInputTests
{
    private static readonly DateOnly Today = new(2024, 12, 31);

    [Theory]
    [InlineData("１９９９-０１-０４")]
    [InlineData("٢٠٢٤-٠٦-١٠")]
    [InlineData("2024-06-1\u0663")]
    public void Dates_in_non_ascii_digits_are_bad_input_not_a_crash(string text)
    {
        var e = Assert.Throws<InvalidInputException>(() => DateInput.ParseDate(text, "from", Today));
        Assert.Contains("is not a date", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Spans_in_non_ascii_digits_are_bad_input_not_a_crash() =>
        Assert.Throws<InvalidInputException>(() => DateInput.ParseLast("٣٠d", Today));

    [Theory]
    [InlineData("http://user:hunter2@127.0.0.1:25510", "http://***@127.0.0.1:25510")]
    [InlineData("https://127.0.0.1:25503/v3?token=hunter2&x=1", "https://127.0.0.1:25503/v3?***")]
    [InlineData("see ftp://a:hunter2@h/x?k=hunter2 now", "see ftp://***@h/x?*** now")]
    public void Credentials_and_queries_of_urls_are_masked(string value, string shown)
    {
        Assert.Equal(shown, DateInput.Printable(value));
        Assert.DoesNotContain("hunter2", DateInput.Printable(value, 4096), StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_text_is_kept_control_characters_escaped_and_the_length_capped()
    {
        Assert.Equal("what? 2024-06-10", DateInput.Printable("what? 2024-06-10"));
        Assert.Equal("a\\u001bb", DateInput.Printable("a\u001bb"));
        Assert.Equal(new string('x', 64) + "…", DateInput.Printable(new string('x', 100)));
        Assert.Equal(new string('x', 100), DateInput.Printable(new string('x', 100), 4096));
    }
}
