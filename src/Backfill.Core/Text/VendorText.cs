using System.Globalization;
using System.Text;

namespace Backfill.Core.Text;

/// <summary>
/// Makes text a vendor sent (an error body, a notice, a field value) safe to show. Such text ends up in exception
/// messages, and from there on a terminal, in the summary table, in <c>list</c> output and in the log: it must not be
/// able to clear the screen, set the window title, reverse what follows it or start a line of its own, and a megabyte
/// of it must not become a megabyte of message.
/// </summary>
public static class VendorText
{
    /// <summary>Characters of vendor text shown by default: enough for any real error message.</summary>
    public const int DefaultMaxLength = 300;

    /// <summary>
    /// The text trimmed, with every character that a terminal or a text log would act on written as a visible escape:
    /// C0 and C1 control characters and DEL (<c>\n</c>, <c>\r</c>, <c>\t</c>, else <c>\x1b</c>), and format characters
    /// (bidi overrides and isolates, zero-width characters), line and paragraph separators and unpaired surrogates
    /// (<c>\u202e</c>, <c>\U000e0041</c>). Past <paramref name="maxLength"/> characters of result the rest is cut and
    /// a marker says how many characters of the text were left out. A backslash stays as it is, so that sanitizing twice
    /// changes nothing. Null gives an empty string; it never throws.
    /// </summary>
    public static string Sanitize(string? text, int maxLength = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        maxLength = Math.Max(0, maxLength);
        var span = text.AsSpan().Trim();
        var clean = IndexOfUnsafe(span);
        if (clean < 0 && span.Length <= maxLength)
        {
            return span.Length == text.Length ? text : span.ToString();
        }

        // Everything before the first unsafe character is copied as it is (within the limit).
        var builder = new StringBuilder(Math.Min(span.Length, maxLength) + 32);
        var at = Math.Min(clean < 0 ? span.Length : clean, maxLength);
        if (at > 0 && at < span.Length && char.IsHighSurrogate(span[at - 1]))
        {
            // Never split a pair: half of one is an unpaired surrogate.
            at--;
        }

        builder.Append(span[..at]);
        while (at < span.Length)
        {
            var c = span[at];
            var consumed = 1;
            string? escaped = null;
            if (char.IsHighSurrogate(c) && at + 1 < span.Length && char.IsLowSurrogate(span[at + 1]))
            {
                consumed = 2;
                var rune = new Rune(c, span[at + 1]);
                escaped = IsUnsafe(Rune.GetUnicodeCategory(rune)) ? string.Create(CultureInfo.InvariantCulture, $"\\U{rune.Value:x8}") : null;
            }
            else if (IsUnsafe(c))
            {
                escaped = c switch
                {
                    '\n' => @"\n",
                    '\r' => @"\r",
                    '\t' => @"\t",
                    < '\u00a0' => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                    _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                };
            }

            if ((long)builder.Length + (escaped?.Length ?? consumed) > maxLength)
            {
                break;
            }

            if (escaped is null)
            {
                builder.Append(span.Slice(at, consumed));
            }
            else
            {
                builder.Append(escaped);
            }

            at += consumed;
        }

        if (at < span.Length)
        {
            builder.Append(CultureInfo.InvariantCulture, $"…[{span.Length - at:N0} characters cut]");
        }

        return builder.ToString();
    }

    /// <summary>The index of the first character <see cref="Sanitize"/> would escape, or -1.</summary>
    private static int IndexOfUnsafe(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= ' ' and < '\u007f')
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (IsUnsafe(Rune.GetUnicodeCategory(new Rune(c, text[i + 1]))))
                {
                    return i;
                }

                i++;
                continue;
            }

            if (IsUnsafe(c))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A character a terminal or a text log acts on rather than shows (a lone surrogate included).</summary>
    private static bool IsUnsafe(char c) =>
        c < ' ' || c is >= '\u007f' and < '\u00a0' || char.IsSurrogate(c) || IsUnsafe(CharUnicodeInfo.GetUnicodeCategory(c));

    private static bool IsUnsafe(UnicodeCategory category) =>
        category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
