using System.Text.Json;
using Backfill.Core.Errors;
using F = Backfill.Engine.Datasets.Spx.Staging.GreeksStagingFormat;

namespace Backfill.Engine.Datasets.Spx.Staging;

/// <summary>What one staged line held besides the per-row columns written into the batch.</summary>
internal struct LineHeader
{
    public int TradeDate;
    public int Expiration;
    public int RootStart;
    public int RootLength;
    public string? EscapedRoot;
}

/// <summary>Parses one staged NDJSON line with <see cref="Utf8JsonReader"/> straight into a column batch.</summary>
internal static class GreeksLineParser
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 2 };

    /// <summary>Parses <paramref name="line"/> into row <paramref name="index"/> of <paramref name="batch"/>.</summary>
    /// <exception cref="FileCorruptionException">The line is not a complete, well-formed staged row.</exception>
    public static void Parse(ReadOnlySpan<byte> line, GreeksColumnBatch batch, int index, out LineHeader header, string path, long lineNumber)
    {
        header = default;
        var seen = 0;
        try
        {
            var reader = new Utf8JsonReader(line, isFinalBlock: true, new JsonReaderState(Options));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Corrupt(path, lineNumber, "line is not a JSON object");
            }

            while (true)
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                var field = reader.ValueIsEscaped ? F.Field.Unknown : F.Lookup(reader.ValueSpan);
                reader.Read();
                switch (field)
                {
                    case F.Field.TradeDate:
                        header.TradeDate = reader.GetInt32();
                        break;
                    case F.Field.Root:
                        if (reader.TokenType != JsonTokenType.String)
                        {
                            throw Corrupt(path, lineNumber, "root is not a string");
                        }

                        if (reader.ValueIsEscaped)
                        {
                            header.EscapedRoot = reader.GetString();
                        }
                        else
                        {
                            header.RootStart = (int)reader.TokenStartIndex + 1;
                            header.RootLength = reader.ValueSpan.Length;
                        }

                        break;
                    case F.Field.Expiration:
                        header.Expiration = reader.GetInt32();
                        break;
                    case F.Field.Strike:
                        batch.Strike[index] = reader.GetInt32();
                        break;
                    case F.Field.Right:
                        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.ValueSpan.Length != 1)
                        {
                            throw Corrupt(path, lineNumber, "right is not a one-letter string");
                        }

                        batch.Right[index] = reader.ValueSpan[0];
                        break;
                    case F.Field.MsOfDay:
                        batch.MsOfDay[index] = reader.GetInt32();
                        break;
                    case F.Field.MsOfDay2:
                        batch.MsOfDay2[index] = reader.GetInt32();
                        break;
                    case F.Field.Bid:
                    case F.Field.Ask:
                    case F.Field.Delta:
                    case F.Field.Theta:
                    case F.Field.Vega:
                    case F.Field.Rho:
                    case F.Field.Epsilon:
                    case F.Field.Lambda:
                    case F.Field.ImpliedVol:
                    case F.Field.IvError:
                        batch.Doubles[field - F.Field.Bid][index] = ReadDouble(ref reader, path, lineNumber);
                        break;
                    case F.Field.UnderlyingPrice:
                        batch.Doubles[GreeksColumnBatch.UnderlyingPrice][index] = ReadDouble(ref reader, path, lineNumber);
                        break;
                    default:
                        // Unknown fields are skipped so a newer writer's extra field does not break an older reader.
                        reader.Skip();
                        continue;
                }

                seen |= 1 << (int)field;
            }

            if (reader.Read())
            {
                throw Corrupt(path, lineNumber, "trailing content after the JSON object");
            }
        }
        catch (JsonException ex)
        {
            throw Corrupt(path, lineNumber, ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw Corrupt(path, lineNumber, ex.Message, ex);
        }
        catch (FormatException ex)
        {
            throw Corrupt(path, lineNumber, ex.Message, ex);
        }

        if (seen != F.AllFieldsMask)
        {
            throw Corrupt(path, lineNumber, "missing fields (mask " + seen.ToString("x", System.Globalization.CultureInfo.InvariantCulture) + ")");
        }
    }

    public static FileCorruptionException Corrupt(string path, long lineNumber, string what, Exception? inner = null) =>
        new($"Staging file '{path}' line {lineNumber}: {what}.", inner);

    private static double ReadDouble(ref Utf8JsonReader reader, string path, long lineNumber)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.GetDouble();
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.ValueTextEquals("NaN"u8))
            {
                return double.NaN;
            }

            if (reader.ValueTextEquals("Infinity"u8))
            {
                return double.PositiveInfinity;
            }

            if (reader.ValueTextEquals("-Infinity"u8))
            {
                return double.NegativeInfinity;
            }
        }

        throw Corrupt(path, lineNumber, "a number was expected");
    }
}
