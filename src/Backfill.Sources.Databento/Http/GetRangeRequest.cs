using System.Globalization;
using Backfill.Sources.Databento.Dbn;

namespace Backfill.Sources.Databento.Http;

/// <summary>A <c>timeseries.get_range</c> query: [<see cref="Start"/>, <see cref="End"/>) in UTC.</summary>
public sealed record GetRangeRequest(string Dataset, IReadOnlyList<string> Symbols, DbnSchema Schema, DbnSType STypeIn, DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The same request over UTC midnight of <paramref name="from"/> to UTC midnight of <paramref name="toExclusive"/>.</summary>
    public static GetRangeRequest ForDates(string dataset, IReadOnlyList<string> symbols, DbnSchema schema, DbnSType stypeIn, DateOnly from, DateOnly toExclusive) =>
        new(dataset, symbols, schema, stypeIn,
            new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            new DateTimeOffset(toExclusive.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));

    /// <summary>The API's name of a schema, e.g. <c>ohlcv-1d</c>.</summary>
    public static string SchemaName(DbnSchema schema) => schema switch
    {
        DbnSchema.Mbo => "mbo",
        DbnSchema.Mbp1 => "mbp-1",
        DbnSchema.Mbp10 => "mbp-10",
        DbnSchema.Tbbo => "tbbo",
        DbnSchema.Trades => "trades",
        DbnSchema.Ohlcv1S => "ohlcv-1s",
        DbnSchema.Ohlcv1M => "ohlcv-1m",
        DbnSchema.Ohlcv1H => "ohlcv-1h",
        DbnSchema.Ohlcv1D => "ohlcv-1d",
        DbnSchema.Definition => "definition",
        DbnSchema.Statistics => "statistics",
        DbnSchema.Status => "status",
        DbnSchema.Imbalance => "imbalance",
        DbnSchema.OhlcvEod => "ohlcv-eod",
        _ => throw new ArgumentOutOfRangeException(nameof(schema), schema, "No API name for this schema."),
    };

    public static bool TryParseSchema(string? name, out DbnSchema schema)
    {
        foreach (var candidate in Enum.GetValues<DbnSchema>())
        {
            if (candidate != DbnSchema.None && SchemaName(candidate) == name)
            {
                schema = candidate;
                return true;
            }
        }

        schema = DbnSchema.None;
        return false;
    }

    public static string STypeName(DbnSType stype) => stype switch
    {
        DbnSType.InstrumentId => "instrument_id",
        DbnSType.RawSymbol => "raw_symbol",
        DbnSType.Smart => "smart",
        DbnSType.Continuous => "continuous",
        DbnSType.Parent => "parent",
        _ => throw new ArgumentOutOfRangeException(nameof(stype), stype, "No API name for this symbology type."),
    };

    public static bool TryParseSType(string? name, out DbnSType stype)
    {
        foreach (var candidate in Enum.GetValues<DbnSType>())
        {
            if (candidate != DbnSType.None && STypeName(candidate) == name)
            {
                stype = candidate;
                return true;
            }
        }

        stype = DbnSType.None;
        return false;
    }

    /// <summary>The form fields the API expects (start/end as ISO-8601 UTC).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> FormFields(bool withEncoding)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("dataset", Dataset),
            new("symbols", string.Join(",", Symbols)),
            new("schema", SchemaName(Schema)),
            new("stype_in", STypeName(STypeIn)),
            new("stype_out", "instrument_id"),
            new("start", Start.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            new("end", End.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
        };
        if (withEncoding)
        {
            fields.Add(new("encoding", "dbn"));
            fields.Add(new("compression", "zstd"));
        }

        return fields;
    }

    public override string ToString() =>
        $"{Dataset} {SchemaName(Schema)} {STypeName(STypeIn)} [{string.Join(",", Symbols.Take(3))}{(Symbols.Count > 3 ? $",…+{Symbols.Count - 3}" : "")}] " +
        $"{Start.UtcDateTime:yyyy-MM-dd'T'HH:mm'Z'}..{End.UtcDateTime:yyyy-MM-dd'T'HH:mm'Z'}";
}
