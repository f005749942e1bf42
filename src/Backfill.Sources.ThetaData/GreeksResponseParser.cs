using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;

namespace Backfill.Sources.ThetaData;

/// <summary>
/// The document shape both API versions share, <c>{"response":[{"contract":{...},"ticks"|"data":[...]}]}</c>, walked
/// one unit at a time so that a unit cut by the buffer end is parsed again whole. A version says how a contract's
/// fields and a row are read, what its rows are called, whether they may come before the contract, and what else its
/// root holds (v2: a header).
/// </summary>
internal abstract class GreeksResponseParser : ChunkedJsonParser
{
    private readonly ISourceRequestObserver? _rejected;
    private readonly OptionSourceStats _stats;
    private State _phase = State.Start;

    protected GreeksResponseParser(Stream stream, string what, TimeSpan readTimeout, OptionSourceStats stats, ISourceRequestObserver? rejected, long firstRowNumber)
        : base(stream, what, readTimeout, stats)
    {
        _stats = stats;
        _rejected = rejected;
        RowNumber = firstRowNumber;
    }

    /// <summary>A contract's fields as read so far.</summary>
    protected record struct ContractFields(string? Root, DateOnly? Expiration, int? Strike, char? Right);

    private enum State
    {
        Start,
        Root,
        Response,
        Item,
        Rows,
        Done,
    }

    /// <summary>Number of the last row seen (valid or not), to continue counting on the next page.</summary>
    public long RowNumber { get; protected set; }

    protected sealed override bool IsComplete => _phase == State.Done;

    /// <summary>The values of the row being read.</summary>
    protected GreeksRowBuilder Row { get; } = new();

    /// <summary>The contract of the response item being read; null until its contract was read.</summary>
    protected (string Root, DateOnly Expiration, int Strike, char Right)? Contract { get; set; }

    /// <summary>The name of the item's row array, for messages.</summary>
    protected abstract string RowsName { get; }

    /// <summary>
    /// Whether an item's rows may come before its contract (v2: they wait for it, and an item must have one by its
    /// end); when false (v3), rows before the contract are malformed.
    /// </summary>
    protected abstract bool RowsMayPrecedeContract { get; }

    /// <summary>The fields a contract must have, for the message when one is missing.</summary>
    protected abstract string ContractFieldNames { get; }

    /// <summary>Whether the reader is at the name of the item's row array.</summary>
    protected abstract bool IsRowsName(ref Utf8JsonReader reader);

    /// <summary>
    /// Reads the value of the contract property <paramref name="name"/> into <paramref name="contract"/>; false leaves it
    /// to be skipped (an unknown property, or a value of another type).
    /// </summary>
    protected abstract bool ReadContractField(string? name, ref Utf8JsonReader reader, ref ContractFields contract);

    /// <summary>Reads one row (the reader is at its first token); false when it is cut by the buffer end.</summary>
    protected abstract bool ParseRow(ref Utf8JsonReader reader, List<OptionGreeksRow> rows);

    /// <summary>Reads a root property other than <c>response</c> (the reader is at its name); skipped unless a version knows it.</summary>
    protected virtual bool ParseRootProperty(ref Utf8JsonReader reader) => reader.TrySkip();

    /// <summary>Called when an item's contract was read: rows held back for it can be built now.</summary>
    protected virtual void OnContract(List<OptionGreeksRow> rows)
    {
    }

    protected sealed override void ParseUnits(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
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

    /// <summary>Builds the row collected in <see cref="Row"/> for <see cref="Contract"/>: kept when valid, else rejected.</summary>
    protected void Emit(List<OptionGreeksRow> rows)
    {
        var c = Contract!.Value;
        if (Row.TryBuild(c.Root, c.Expiration, c.Strike, c.Right, out var row, out var reason))
        {
            rows.Add(row);
        }
        else
        {
            Reject(reason);
        }
    }

    /// <summary>Counts the current row as rejected and tells the observer why.</summary>
    protected void Reject(string reason)
    {
        _stats.AddRejected();
        _rejected?.OnRejected(new RejectedRow(RowNumber, reason));
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

                return reader.ValueTextEquals("response"u8)
                    ? EnterArray(ref reader, "response", State.Response)
                    : ParseRootProperty(ref reader);
            case State.Response:
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = State.Root;
                    return true;
                }

                Expect(ref reader, JsonTokenType.StartObject, "a response item");
                Contract = null;
                _phase = State.Item;
                return true;
            case State.Item:
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    if (Contract is null && RowsMayPrecedeContract)
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

                return IsRowsName(ref reader) ? EnterArray(ref reader, RowsName, State.Rows) : reader.TrySkip();
            case State.Rows:
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

    /// <summary>Reads the item's contract (the reader is at its name); false when it is cut by the buffer end.</summary>
    private bool ParseContract(ref Utf8JsonReader reader, List<OptionGreeksRow> rows)
    {
        if (!TryReadWholeValue(ref reader))
        {
            return false;
        }

        Expect(ref reader, JsonTokenType.StartObject, "contract");
        var contract = default(ContractFields);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (!ReadContractField(name, ref reader, ref contract))
            {
                reader.TrySkip();
            }
        }

        if (contract is not { Root: { } root, Expiration: { } expiration, Strike: { } strike, Right: { } right })
        {
            throw ThetaErrors.Malformed(What, $"a contract lacks {ContractFieldNames}");
        }

        Contract = (root, expiration, strike, right);
        OnContract(rows);
        return true;
    }

    /// <summary>Moves from a property name into its array value, which becomes the <paramref name="next"/> phase.</summary>
    private bool EnterArray(ref Utf8JsonReader reader, string where, State next)
    {
        if (!reader.Read())
        {
            return false;
        }

        // Only once the value has begun: a body that ends right here is reported as truncated, not as misordered.
        if (next == State.Rows && Contract is null && !RowsMayPrecedeContract)
        {
            throw ThetaErrors.Malformed(What, $"{RowsName} came before its contract");
        }

        Expect(ref reader, JsonTokenType.StartArray, where);
        _phase = next;
        return true;
    }
}
