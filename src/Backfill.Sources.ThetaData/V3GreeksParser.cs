using System.Globalization;
using System.Text;
using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;

namespace Backfill.Sources.ThetaData;

/// <summary>
/// Parses the v3 JSON greeks body: <c>{"response":[{"contract":{symbol,strike,right,expiration},"data":[{...}]}]}</c>.
/// Fields are read by name; <c>timestamp</c> gives the trade date and ms_of_day, <c>underlying_timestamp</c> ms_of_day2.
/// </summary>
internal sealed class V3GreeksParser : GreeksResponseParser
{
    public V3GreeksParser(Stream stream, string what, TimeSpan readTimeout, OptionSourceStats stats, ISourceRequestObserver? rejected)
        : base(stream, what, readTimeout, stats, rejected, firstRowNumber: 0)
    {
    }

    protected override string RowsName => "data";

    protected override bool RowsMayPrecedeContract => false;

    protected override string ContractFieldNames => "symbol, expiration, strike or right";

    protected override bool IsRowsName(ref Utf8JsonReader reader) => reader.ValueTextEquals("data"u8);

    public static bool TryParseDate(JsonElement e, out DateOnly date)
    {
        date = default;
        return e.ValueKind switch
        {
            JsonValueKind.String => DateOnly.TryParseExact(e.GetString(), ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out date),
            JsonValueKind.Number => e.TryGetInt32(out var ymd) && GreeksRowBuilder.TryYmd(ymd, out date),
            _ => false,
        };
    }

    protected override bool ReadContractField(string? name, ref Utf8JsonReader reader, ref ContractFields contract)
    {
        switch (name)
        {
            case "symbol" or "root" when reader.TokenType == JsonTokenType.String:
                contract.Root = reader.GetString();
                return true;
            case "expiration":
                contract.Expiration = reader.TokenType switch
                {
                    JsonTokenType.String when DateOnly.TryParseExact(reader.GetString(), ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) => d,
                    JsonTokenType.Number when reader.TryGetInt32(out var ymd) && GreeksRowBuilder.TryYmd(ymd, out var d2) => d2,
                    _ => null,
                };
                return true;
            case "strike" when reader.TokenType == JsonTokenType.Number:
                // Dollars in v3; to 1/10 cent, rounded like the official client.
                contract.Strike = reader.TryGetDecimal(out var points) && points is > 0m and < 2_000_000m
                    ? (int)Math.Round(points * 1000m)
                    : throw ThetaErrors.Malformed(What, $"strike {Encoding.UTF8.GetString(reader.ValueSpan)} is not a price");
                return true;
            case "right" when reader.TokenType == JsonTokenType.String:
                contract.Right = reader.GetString()?.ToUpperInvariant() switch { "C" or "CALL" => 'C', "P" or "PUT" => 'P', _ => null };
                return true;
            default:
                return false;
        }
    }

    protected override bool ParseRow(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            if (!reader.TrySkip())
            {
                return false;
            }

            RowNumber++;
            Reject("a data row is not an object");
            return true;
        }

        Row.Reset();
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var field = FieldOf(ref reader);
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
            {
                if (!reader.TrySkip())
                {
                    return false;
                }

                Row.Problem("a field holds a nested value");
                continue;
            }

            switch (field)
            {
                case Timestamp.Quote or Timestamp.Underlying:
                    if (reader.TokenType == JsonTokenType.String && TryTimestamp(reader.GetString(), out var date, out var ms))
                    {
                        Row.Set(field == Timestamp.Quote ? GreeksField.MsOfDay : GreeksField.MsOfDay2, ms);
                        if (field == Timestamp.Quote)
                        {
                            Row.Set(GreeksField.Date, (date.Year * 10000) + (date.Month * 100) + date.Day);
                        }
                    }
                    else
                    {
                        Row.Problem("a timestamp is not yyyy-MM-ddTHH:mm:ss[.fff]");
                    }

                    break;
                case >= 0:
                    if (reader.TokenType == JsonTokenType.Number)
                    {
                        Row.Set((GreeksField)field, GetDouble(ref reader));
                    }
                    else
                    {
                        Row.Problem($"{GreeksRowBuilder.V2Names[field]} is not a number");
                    }

                    break;
                default:
                    break;
            }
        }

        RowNumber++;
        Emit(rows);
        return true;
    }

    private static class Timestamp
    {
        public const int Quote = -2;
        public const int Underlying = -3;
    }

    private static int FieldOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("timestamp"u8))
        {
            return Timestamp.Quote;
        }

        if (reader.ValueTextEquals("underlying_timestamp"u8))
        {
            return Timestamp.Underlying;
        }

        for (var i = 0; i < GreeksRowBuilder.FieldCount; i++)
        {
            if (i is not ((int)GreeksField.MsOfDay or (int)GreeksField.MsOfDay2 or (int)GreeksField.Date)
                && reader.ValueTextEquals(GreeksRowBuilder.V2Names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool TryTimestamp(string? text, out DateOnly date, out int msOfDay)
    {
        date = default;
        msOfDay = 0;
        if (!DateTime.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss.fff", "yyyy-MM-dd'T'HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
        {
            return false;
        }

        date = DateOnly.FromDateTime(t);
        msOfDay = (int)t.TimeOfDay.TotalMilliseconds;
        return true;
    }
}
