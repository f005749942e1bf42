using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;

namespace Backfill.Sources.ThetaData;

/// <summary>
/// Parses one v2 bulk greeks page: <c>{"header":{...,"next_page","format"},"response":[{"contract":{...},"ticks":[[...]]}]}</c>.
/// Columns are mapped by <c>header.format</c> names; <c>ticks</c> or <c>tick</c>; contract before or after its ticks.
/// </summary>
internal sealed class V2GreeksParser : GreeksResponseParser
{
    private readonly List<double[]> _pendingTicks = [];
    private GreeksField?[] _columns = DefaultColumns();
    private bool _headerSeen;

    public V2GreeksParser(Stream stream, string what, TimeSpan readTimeout, OptionSourceStats stats, ISourceRequestObserver? rejected, long firstRowNumber)
        : base(stream, what, readTimeout, stats, rejected, firstRowNumber)
    {
    }

    /// <summary>Absolute URL of the next page, or null.</summary>
    public Uri? NextPage { get; private set; }

    protected override string RowsName => "ticks";

    protected override bool RowsMayPrecedeContract => true;

    protected override string ContractFieldNames => "root, expiration (YYYYMMDD), strike or right (C/P)";

    protected override bool IsRowsName(ref Utf8JsonReader reader) => reader.ValueTextEquals("ticks"u8) || reader.ValueTextEquals("tick"u8);

    protected override bool ParseRootProperty(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("header"u8) ? ParseHeader(ref reader) : reader.TrySkip();

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

    protected override bool ReadContractField(string? name, ref Utf8JsonReader reader, ref ContractFields contract)
    {
        switch (name)
        {
            case "root" when reader.TokenType == JsonTokenType.String:
                contract.Root = reader.GetString();
                return true;
            case "expiration" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var ymd):
                contract.Expiration = GreeksRowBuilder.TryYmd(ymd, out var date) ? date : null;
                return true;
            case "strike" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var strike):
                contract.Strike = strike;
                return true;
            case "right" when reader.TokenType == JsonTokenType.String:
                contract.Right = reader.GetString() switch { "C" or "c" or "CALL" => 'C', "P" or "p" or "PUT" => 'P', _ => null };
                return true;
            default:
                return false;
        }
    }

    protected override void OnContract(List<OptionGreeksRow> rows)
    {
        foreach (var values in _pendingTicks)
        {
            // Ticks that came before their contract.
            EmitPending(values, rows);
        }

        _pendingTicks.Clear();
    }

    protected override bool ParseRow(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            if (!reader.TrySkip())
            {
                return false;
            }

            RowNumber++;
            Reject("a tick is not an array");
            return true;
        }

        Row.Reset();
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
                        Row.Set(f, GetDouble(ref reader));
                    }

                    break;
                case JsonTokenType.StartArray or JsonTokenType.StartObject:
                    if (!reader.TrySkip())
                    {
                        return false;
                    }

                    Row.Problem($"field {index} is not a number");
                    break;
                default:
                    if (field is not null)
                    {
                        Row.Problem($"field {index} ({GreeksRowBuilder.V2Names[(int)field.Value]}) is not a number");
                    }

                    break;
            }

            index++;
        }

        RowNumber++;
        if (index != _columns.Length)
        {
            Row.Problem($"expected {_columns.Length} fields as header.format says, got {index}");
        }

        if (Contract is null)
        {
            _pendingTicks.Add(Snapshot());
            return true;
        }

        Emit(rows);
        return true;
    }

    private double[] Snapshot()
    {
        // Rare path (ticks before contract): keep values and any problem as a marker.
        var values = new double[GreeksRowBuilder.FieldCount + 1];
        for (var i = 0; i < GreeksRowBuilder.FieldCount; i++)
        {
            values[i] = Row.Get((GreeksField)i);
        }

        values[^1] = RowNumber;
        if (!Row.TryBuild("?", default, 0, 'C', out _, out var reason))
        {
            Reject(reason);
            values[^1] = -1;
        }

        return values;
    }

    private void EmitPending(double[] pending, List<OptionGreeksRow> rows)
    {
        if (pending[^1] < 0)
        {
            return;
        }

        Row.Reset();
        for (var i = 0; i < GreeksRowBuilder.FieldCount; i++)
        {
            Row.Set((GreeksField)i, pending[i]);
        }

        Emit(rows);
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
