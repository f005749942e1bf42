using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Backfill.Cli.Rendering;

/// <summary>Writes a <see cref="ResultTable"/> as a terminal table, a JSON array of objects, or RFC 4180 CSV.</summary>
internal static class Renderer
{
    public static void Write(ResultTable table, OutputFormat format, IAnsiConsole console, TextWriter output)
    {
        switch (format)
        {
            case OutputFormat.Json:
                output.WriteLine(ToJson(table));
                break;
            case OutputFormat.Csv:
                output.Write(ToCsv(table));
                break;
            default:
                WriteTable(table, console);
                break;
        }
    }

    public static string ToJson(ResultTable table)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var row in table.Rows)
            {
                writer.WriteStartObject();
                for (var i = 0; i < table.Columns.Count; i++)
                {
                    writer.WritePropertyName(table.Columns[i]);
                    WriteJsonValue(writer, row[i]);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string ToCsv(ResultTable table)
    {
        var builder = new StringBuilder();
        builder.AppendJoin(',', table.Columns.Select(Escape)).Append('\n');
        foreach (var row in table.Rows)
        {
            builder.AppendJoin(',', row.Select(c => Escape(Text(c)))).Append('\n');
        }

        return builder.ToString();
    }

    public static string Text(object? value) => value switch
    {
        null => string.Empty,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        double x => x.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static void WriteTable(ResultTable table, IAnsiConsole console)
    {
        var grid = new Table().Border(TableBorder.Rounded);
        if (!string.IsNullOrEmpty(table.Title))
        {
            grid.Title = new TableTitle(Markup.Escape(table.Title));
        }

        foreach (var column in table.Columns)
        {
            grid.AddColumn(new TableColumn(Markup.Escape(column)));
        }

        foreach (var row in table.Rows)
        {
            grid.AddRow(row.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(Text(c))).ToArray());
        }

        console.Write(grid);
        foreach (var note in table.Notes)
        {
            console.WriteLine(note);
        }
    }

    private static void WriteJsonValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            default:
                writer.WriteStringValue(Text(value));
                break;
        }
    }

    private static string Escape(string value) =>
        value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
