using System.Globalization;
using System.Text;
using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;

namespace Backfill.Sources.ThetaData;

/// <summary>
/// Parses the v3 JSON greeks body: <c>{"response":[{"contract":{symbol,strike,right,expiration},"data":[{...}]}]}</c>.
/// Fields are read by name; <c>timestamp</c> gives the trade date and ms_of_day, <c>underlying_timestamp</c> ms_of_day2.
/// </summary>
internal sealed class V3GreeksParser : ChunkedJsonParser
{
    private readonly ISourceRequestObserver? _rejected;
    private readonly OptionSourceStats _stats;
    private readonly GreeksRowBuilder _row = new();
    private State _phase = State.Start;
    private (string Root, DateOnly Expiration, int Strike, char Right)? _contract;
    private long _rowNumber;

    public V3GreeksParser(Stream stream, string what, TimeSpan readTimeout, OptionSourceStats stats, ISourceRequestObserver? rejected)
        : base(stream, what, readTimeout, stats)
    {
        _stats = stats;
        _rejected = rejected;
    }

    private enum State
    {
        Start,
        Root,
        Response,
        Item,
        Data,
        Done,
    }

    protected override bool IsComplete => _phase == State.Done;

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

    protected override void ParseUnits(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
    {
        while (_phase != State.Done)
        {
            var checkpoint = reader;
            if (!ParseUnit(ref reader, rows))
            {
                reader = checkpoint;
                return;
            }
        }
    }

    private bool ParseUnit(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
    {
        if (!reader.Read())
        {
            return false;
        }

        switch (_phase)
        {
            case State.Start:
                Expect(ref reader, JsonTokenType.StartObject, "the document");
                _phase = State.Root;
                return true;
            case State.Root:
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    _phase = State.Done;
                    return true;
                }

                if (reader.ValueTextEquals("response"u8))
                {
                    if (!reader.Read())
                    {
                        return false;
                    }

                    Expect(ref reader, JsonTokenType.StartArray, "response");
                    _phase = State.Response;
                    return true;
                }

                return reader.TrySkip();
            case State.Response:
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = State.Root;
                    return true;
                }

                Expect(ref reader, JsonTokenType.StartObject, "a response item");
                _contract = null;
                _phase = State.Item;
                return true;
            case State.Item:
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    _phase = State.Response;
                    return true;
                }

                if (reader.ValueTextEquals("contract"u8))
                {
                    return ParseContract(ref reader);
                }

                if (reader.ValueTextEquals("data"u8))
                {
                    if (!reader.Read())
                    {
                        return false;
                    }

                    if (_contract is null)
                    {
                        throw ThetaErrors.Malformed(What, "data came before its contract");
                    }

                    Expect(ref reader, JsonTokenType.StartArray, "data");
                    _phase = State.Data;
                    return true;
                }

                return reader.TrySkip();
            case State.Data:
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = State.Item;
                    return true;
                }

                return ParseRow(ref reader, rows);
            default:
                return false;
        }
    }

    private bool ParseContract(ref Utf8JsonReader reader)
    {
        if (!TryReadWholeValue(ref reader))
        {
            return false;
        }

        Expect(ref reader, JsonTokenType.StartObject, "contract");
        string? root = null;
        DateOnly? expiration = null;
        int? strike = null;
        char? right = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "symbol" or "root" when reader.TokenType == JsonTokenType.String:
                    root = reader.GetString();
                    break;
                case "expiration":
                    expiration = reader.TokenType switch
                    {
                        JsonTokenType.String when DateOnly.TryParseExact(reader.GetString(), ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) => d,
                        JsonTokenType.Number when reader.TryGetInt32(out var ymd) && GreeksRowBuilder.TryYmd(ymd, out var d2) => d2,
                        _ => null,
                    };
                    break;
                case "strike" when reader.TokenType == JsonTokenType.Number:
                    // Dollars in v3; to 1/10 cent, rounded like the official client.
                    strike = reader.TryGetDecimal(out var points) && points is > 0m and < 2_000_000m
                        ? (int)Math.Round(points * 1000m)
                        : throw ThetaErrors.Malformed(What, $"strike {Encoding.UTF8.GetString(reader.ValueSpan)} is not a price");
                    break;
                case "right" when reader.TokenType == JsonTokenType.String:
                    right = reader.GetString()?.ToUpperInvariant() switch { "C" or "CALL" => 'C', "P" or "PUT" => 'P', _ => null };
                    break;
                default:
                    reader.TrySkip();
                    break;
            }
        }

        if (root is null || expiration is null || strike is null || right is null)
        {
            throw ThetaErrors.Malformed(What, "a contract lacks symbol, expiration, strike or right");
        }

        _contract = (root, expiration.Value, strike.Value, right.Value);
        return true;
    }

    private bool ParseRow(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            if (!reader.TrySkip())
            {
                return false;
            }

            _rowNumber++;
            Reject("a data row is not an object");
            return true;
        }

        _row.Reset();
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

                _row.Problem("a field holds a nested value");
                continue;
            }

            switch (field)
            {
                case Timestamp.Quote or Timestamp.Underlying:
                    if (reader.TokenType == JsonTokenType.String && TryTimestamp(reader.GetString(), out var date, out var ms))
                    {
                        _row.Set(field == Timestamp.Quote ? GreeksField.MsOfDay : GreeksField.MsOfDay2, ms);
                        if (field == Timestamp.Quote)
                        {
                            _row.Set(GreeksField.Date, (date.Year * 10000) + (date.Month * 100) + date.Day);
                        }
                    }
                    else
                    {
                        _row.Problem("a timestamp is not yyyy-MM-ddTHH:mm:ss[.fff]");
                    }

                    break;
                case >= 0:
                    if (reader.TokenType == JsonTokenType.Number)
                    {
                        _row.Set((GreeksField)field, reader.GetDouble());
                    }
                    else
                    {
                        _row.Problem($"{GreeksRowBuilder.V2Names[field]} is not a number");
                    }

                    break;
                default:
                    break;
            }
        }

        _rowNumber++;
        var c = _contract!.Value;
        if (_row.TryBuild(c.Root, c.Expiration, c.Strike, c.Right, out var row, out var reason))
        {
            rows.Add(row);
        }
        else
        {
            Reject(reason);
        }

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

    private void Reject(string reason)
    {
        _stats.AddRejected();
        _rejected?.OnRejected(new RejectedRow(_rowNumber, reason));
    }
}
