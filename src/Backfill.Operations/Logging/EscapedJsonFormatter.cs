using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace Backfill.Operations.Logging;

/// <summary>
/// Serilog's compact JSON (<c>@t</c>, <c>@m</c>, <c>@l</c>, <c>@x</c>, then the properties), with every control,
/// format and line-separating character escaped as <c>\uXXXX</c>: Serilog escapes only C0 controls, and a raw U+2028,
/// C1 control or bidi override would split a line or drive a terminal for whoever reads the file. Outside string
/// literals compact JSON is plain ASCII, so the escape is always inside a string and decodes to the same text.
/// </summary>
internal sealed class EscapedJsonFormatter : ITextFormatter
{
    private readonly RenderedCompactJsonFormatter _inner = new();

    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new StringWriter(CultureInfo.InvariantCulture);
        _inner.Format(logEvent, buffer);
        var json = buffer.GetStringBuilder();
        var escaped = new StringBuilder(json.Length + 16);
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (c == '\n' && i == json.Length - 1)
            {
                escaped.Append(c);
            }
            else if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < json.Length && char.IsLowSurrogate(json[i + 1])) && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(json[i - 1])))
            {
                escaped.Append('\uFFFD');
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                escaped.Append(c);
            }
        }

        output.Write(escaped);
    }
}
