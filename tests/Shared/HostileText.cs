using System.Globalization;
using System.Text;

namespace Backfill.Tests.Shared;

/// <summary>Vendor text meant to damage a terminal or a log, and the check that a message shows it harmlessly.</summary>
internal static class HostileText
{
    /// <summary>Erase the screen and move the cursor home.</summary>
    public const string ClearScreen = "\u001b[2J\u001b[H";

    /// <summary>Set the terminal's title (OSC 0), ended by BEL.</summary>
    public const string OscTitle = "\u001b]0;owned\u0007";

    /// <summary>Right-to-left override: the rest of the line is shown reversed.</summary>
    public const string BidiOverride = "\u202Eexe.txt";

    /// <summary>The C1 control sequence introducer, the one-character form of ESC [.</summary>
    public const string C1Csi = "\u009b31m";

    /// <summary>Line breaks of every kind, each of which would start a line of its own in a text log.</summary>
    public const string LineBreaks = "one\r\n2024-01-01T00:00:00.000Z fail Forged: line\ntwo\rthree\u2028four\u0085five";

    /// <summary>All of the above in one body.</summary>
    public static readonly string Mixed = $"refused {ClearScreen} {OscTitle} {BidiOverride} {C1Csi} {LineBreaks} \u0000\u007f end";

    /// <summary>About 1 MB of text with an escape sequence every few characters.</summary>
    public static readonly string Huge = "huge " + string.Concat(Enumerable.Repeat("\u001b[2J0123456789", 1 << 16));

    /// <summary>Bytes that are not UTF-8, around a raw ESC and a UTF-8 encoded C1 CSI and bidi override.</summary>
    public static readonly byte[] InvalidUtf8 =
        [.. "refused "u8, 0xFF, 0xFE, 0xC3, 0x28, 0x1B, (byte)'[', (byte)'2', (byte)'J', 0xC2, 0x9B, 0xE2, 0x80, 0xAE, 0xED, 0xA0, 0x80, .. " end"u8];

    /// <summary>Each hostile text as the bytes of a body, by name (for test cases).</summary>
    public static readonly IReadOnlyDictionary<string, byte[]> Bodies = new Dictionary<string, byte[]>
    {
        ["clear-screen"] = Encoding.UTF8.GetBytes("refused " + ClearScreen),
        ["osc-title"] = Encoding.UTF8.GetBytes("refused " + OscTitle),
        ["line-breaks"] = Encoding.UTF8.GetBytes(LineBreaks),
        ["mixed"] = Encoding.UTF8.GetBytes(Mixed),
        ["1-mb"] = Encoding.UTF8.GetBytes(Huge),
        ["invalid-utf8"] = InvalidUtf8,
    };

    /// <summary>The names of <see cref="Bodies"/>, as test data.</summary>
    public static TheoryData<string> Names => [.. Bodies.Keys];

    /// <summary>
    /// Asserts that <paramref name="message"/> holds no control, format or line-separating character and no lone
    /// surrogate, and is at most <paramref name="maxLength"/> characters long.
    /// </summary>
    public static void AssertHarmless(string message, int maxLength = 2_000)
    {
        Assert.True(message.Length <= maxLength, $"The message is {message.Length} characters long: {Shown(message[..Math.Min(message.Length, 200)])}…");
        for (var i = 0; i < message.Length; i++)
        {
            var c = message[i];
            if (char.IsHighSurrogate(c) && i + 1 < message.Length && char.IsLowSurrogate(message[i + 1]))
            {
                i++;
                continue;
            }

            Assert.False(
                char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                    or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator,
                $"U+{(int)c:X4} at {i} of: {Shown(message)}");
        }
    }

    /// <summary>
    /// As <see cref="AssertHarmless"/> for a message that quotes the body named <paramref name="body"/>; for the
    /// clear-screen body, also that the sequence is still there to read, escaped.
    /// </summary>
    public static void AssertHarmlessQuote(string body, string message)
    {
        AssertHarmless(message);
        if (body == "clear-screen")
        {
            Assert.Contains(@"refused \x1b[2J\x1b[H", message, StringComparison.Ordinal);
        }
    }

    /// <summary>The message with every character outside printable ASCII shown as its code, for a readable failure.</summary>
    private static string Shown(string text)
    {
        var shown = new StringBuilder(Math.Min(text.Length, 600));
        foreach (var c in text.Length > 600 ? text[..600] : text)
        {
            shown.Append(c is >= ' ' and <= '~' ? c.ToString() : $"<U+{(int)c:X4}>");
        }

        return shown.ToString();
    }
}
