using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;

namespace Backfill.Sources.ThetaData;

/// <summary>
/// Parses one v2 bulk greeks page: <c>{"header":{...,"next_page","format"},"response":[{"contract":{...},"ticks":[[...]]}]}</c>.
/// Columns are mapped by <c>header.format</c> names; <c>ticks</c> or <c>tick</c>; contract before or after its ticks.
/// </summary>
internal sealed class V2GreeksParser : ChunkedJsonParser
{
    private readonly ISourceRequestObserver? _rejected;
    private readonly OptionSourceStats _stats;
    private readonly GreeksRowBuilder _row = new();
    private readonly List<double[]> _pendingTicks = [];
    private GreeksField?[] _columns = DefaultColumns();
    private State _phase = State.Start;
    private bool _headerSeen;
    private (string Root, DateOnly Expiration, int Strike, char Right)? _contract;
    private long _rowNumber;

    public V2GreeksParser(Stream stream, string what, TimeSpan readTimeout, OptionSourceStats stats, ISourceRequestObserver? rejected, long firstRowNumber)
        : base(stream, what, readTimeout, stats)
    {
        _stats = stats;
        _rejected = rejected;
        _rowNumber = firstRowNumber;
    }

    private enum State
    {
        Start,
        Root,
        Response,
        Item,
        Ticks,
        Done,
    }

    /// <summary>Absolute URL of the next page, or null.</summary>
    public Uri? NextPage { get; private set; }

    /// <summary>Number of the last row seen (valid or not), to continue counting on the next page.</summary>
    public long RowNumber => _rowNumber;

    protected override bool IsComplete => _phase == State.Done;

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

                if (reader.ValueTextEquals("header"u8))
                {
                    return ParseHeader(ref reader);
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
                _pendingTicks.Clear();
                _phase = State.Item;
                return true;
            case State.Item:
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    if (_contract is null)
                    {
                        throw ThetaErrors.Malformed(What, "a response item has no contract");
                    }

                    _phase = State.Response;
                    return true;
                }

                if (reader.ValueTextEquals("contract"u8))
                {
                    return ParseContract(ref reader, rows);
                }

                if (reader.ValueTextEquals("ticks"u8) || reader.ValueTextEquals("tick"u8))
                {
                    if (!reader.Read())
                    {
                        return false;
                    }

                    Expect(ref reader, JsonTokenType.StartArray, "ticks");
                    _phase = State.Ticks;
                    return true;
                }

                return reader.TrySkip();
            case State.Ticks:
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = State.Item;
                    return true;
                }

                return ParseTick(ref reader, rows);
            default:
                return false;
        }
    }

    private bool ParseHeader(ref Utf8JsonReader reader)
    {
        if (!TryReadWholeValue(ref reader))
        {
            return false;
        }

        Expect(ref reader, JsonTokenType.StartObject, "header");
        string? errorType = null;
        string? errorMessage = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "error_type":
                    errorType = NullableString(ref reader);
                    break;
                case "error_msg":
                    errorMessage = NullableString(ref reader);
                    break;
                case "next_page":
                    var next = NullableString(ref reader);
                    NextPage = next is null ? null
                        : Uri.TryCreate(next, UriKind.Absolute, out var uri) ? uri
                        : throw ThetaErrors.Malformed(What, $"next_page '{next}' is not an absolute URL");
                    break;
                case "format" when reader.TokenType == JsonTokenType.StartArray:
                    var names = new List<string>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        names.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : "?");
                    }

                    _columns = MapColumns(names);
                    break;
                default:
                    reader.TrySkip();
                    break;
            }
        }

        if (errorType is not null)
        {
            throw ThetaErrors.FromErrorType(errorType, What, errorMessage);
        }

        _headerSeen = true;
        return true;
    }

    private bool ParseContract(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
    {
        if (!TryReadWholeValue(ref reader))
        {
            return false;
        }

        Expect(ref reader, JsonTokenType.StartObject, "contract");
        string? root = null;
        int? expiration = null;
        int? strike = null;
        char? right = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "root" when reader.TokenType == JsonTokenType.String:
                    root = reader.GetString();
                    break;
                case "expiration" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var e):
                    expiration = e;
                    break;
                case "strike" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var k):
                    strike = k;
                    break;
                case "right" when reader.TokenType == JsonTokenType.String:
                    right = reader.GetString() switch { "C" or "c" or "CALL" => 'C', "P" or "p" or "PUT" => 'P', _ => null };
                    break;
                default:
                    reader.TrySkip();
                    break;
            }
        }

        if (root is null || expiration is null || strike is null || right is null
            || !GreeksRowBuilder.TryYmd(expiration.Value, out var expDate))
        {
            throw ThetaErrors.Malformed(What, "a contract lacks root, expiration (YYYYMMDD), strike or right (C/P)");
        }

        _contract = (root, expDate, strike.Value, right.Value);
        foreach (var values in _pendingTicks)
        {
            // Ticks that came before their contract.
            Emit(values, rows);
        }

        _pendingTicks.Clear();
        return true;
    }

    private bool ParseTick(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            if (!reader.TrySkip())
            {
                return false;
            }

            _rowNumber++;
            Reject("a tick is not an array");
            return true;
        }

        _row.Reset();
        var index = 0;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }

            var field = index < _columns.Length ? _columns[index] : null;
            switch (reader.TokenType)
            {
                case JsonTokenType.Number:
                    if (field is { } f)
                    {
                        _row.Set(f, reader.GetDouble());
                    }

                    break;
                case JsonTokenType.StartArray or JsonTokenType.StartObject:
                    if (!reader.TrySkip())
                    {
                        return false;
                    }

                    _row.Problem($"field {index} is not a number");
                    break;
                default:
                    if (field is not null)
                    {
                        _row.Problem($"field {index} ({GreeksRowBuilder.V2Names[(int)field.Value]}) is not a number");
                    }

                    break;
            }

            index++;
        }

        _rowNumber++;
        if (index != _columns.Length)
        {
            _row.Problem($"expected {_columns.Length} fields as header.format says, got {index}");
        }

        if (_contract is null)
        {
            _pendingTicks.Add(Snapshot());
            return true;
        }

        Emit(null, rows);
        return true;
    }

    private double[] Snapshot()
    {
        // Rare path (ticks before contract): keep values and any problem as a marker.
        var values = new double[GreeksRowBuilder.FieldCount + 1];
        for (var i = 0; i < GreeksRowBuilder.FieldCount; i++)
        {
            values[i] = _row.Get((GreeksField)i);
        }

        values[^1] = _rowNumber;
        if (!_row.TryBuild("?", default, 0, 'C', out _, out var reason))
        {
            _rejected?.OnRejected(new RejectedRow(_rowNumber, reason));
            _stats.AddRejected();
            values[^1] = -1;
        }

        return values;
    }

    private void Emit(double[]? pending, List<OptionGreeksRow> rows)
    {
        if (pending is not null)
        {
            if (pending[^1] < 0)
            {
                return;
            }

            _row.Reset();
            for (var i = 0; i < GreeksRowBuilder.FieldCount; i++)
            {
                _row.Set((GreeksField)i, pending[i]);
            }
        }

        var c = _contract!.Value;
        if (_row.TryBuild(c.Root, c.Expiration, c.Strike, c.Right, out var row, out var reason))
        {
            rows.Add(row);
        }
        else
        {
            Reject(reason);
        }
    }

    private void Reject(string reason)
    {
        _stats.AddRejected();
        _rejected?.OnRejected(new RejectedRow(_rowNumber, reason));
    }

    private GreeksField?[] MapColumns(List<string> names)
    {
        var map = new GreeksField?[names.Count];
        var seen = 0;
        for (var i = 0; i < names.Count; i++)
        {
            var at = Array.IndexOf(GreeksRowBuilder.V2Names, names[i]);
            if (at >= 0)
            {
                map[i] = (GreeksField)at;
                seen |= 1 << at;
            }
        }

        if (seen != GreeksRowBuilder.AllSeen)
        {
            var missing = GreeksRowBuilder.V2Names.Where((_, i) => (seen & (1 << i)) == 0);
            throw ThetaErrors.Malformed(What, "header.format lacks " + string.Join(", ", missing));
        }

        return map;
    }

    private static GreeksField?[] DefaultColumns() =>
        Enumerable.Range(0, GreeksRowBuilder.FieldCount).Select(i => (GreeksField?)i).ToArray();

    private string? NullableString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            reader.TrySkip();
            return null;
        }

        var s = reader.GetString();
        return string.IsNullOrWhiteSpace(s) || string.Equals(s, "null", StringComparison.OrdinalIgnoreCase) ? null : s;
    }

    /// <summary>Whether a header was read (a page without one uses the documented column order).</summary>
    public bool HeaderSeen => _headerSeen;
}
