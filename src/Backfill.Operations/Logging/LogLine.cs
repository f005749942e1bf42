using System.Globalization;
using System.Text;
using System.Text.Json;
using Backfill.Core.Text;
using Microsoft.Extensions.Logging;

namespace Backfill.Operations.Logging;

/// <summary>
/// Formats one log entry as a JSON object or a text line, with every string passed through the redactor. An entry is
/// always one line: JSON escapes control characters itself; the text format escapes them (line breaks included) with
/// <see cref="VendorText.Sanitize"/>, so that a message quoting a vendor can neither forge a line nor drive a terminal.
/// </summary>
internal static class LogLine
{
    public static string Format<TState>(
        bool json, DateTimeOffset time, LogLevel level, string category, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter, SecretRedactor redactor)
    {
        var message = redactor.Redact(formatter(state, exception));
        var error = exception is null ? null : redactor.Redact(exception.ToString());
        if (!json)
        {
            var text = new StringBuilder(128)
                .Append(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(' ')
                .Append(Short(level)).Append(' ').Append(category).Append(": ").Append(VendorText.Sanitize(message, int.MaxValue));
            if (error is not null)
            {
                // A stack trace's own lines stay readable as " | " separators; anything else is escaped. Neither is cut.
                text.Append(" | ").Append(VendorText.Sanitize(error.ReplaceLineEndings(" | "), int.MaxValue));
            }

            return text.ToString();
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("level", level.ToString());
            writer.WriteString("category", category);
            if (eventId.Id != 0 || eventId.Name is not null)
            {
                writer.WriteNumber("eventId", eventId.Id);
                if (eventId.Name is not null)
                {
                    writer.WriteString("event", eventId.Name);
                }
            }

            writer.WriteString("message", message);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                writer.WriteStartObject("fields");
                foreach (var (key, value) in fields)
                {
                    if (key == "{OriginalFormat}")
                    {
                        continue;
                    }

                    switch (value)
                    {
                        case null:
                            writer.WriteNull(key);
                            break;
                        case int or long or short or byte or uint:
                            writer.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                            break;
                        case double or float or decimal:
                            writer.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                            break;
                        case bool b:
                            writer.WriteBoolean(key, b);
                            break;
                        default:
                            writer.WriteString(key, redactor.Redact(Convert.ToString(value, CultureInfo.InvariantCulture)));
                            break;
                    }
                }

                writer.WriteEndObject();
            }

            if (error is not null)
            {
                writer.WriteString("exception", error);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Short(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
