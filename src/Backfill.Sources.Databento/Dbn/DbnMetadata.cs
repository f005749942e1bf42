namespace Backfill.Sources.Databento.Dbn;

/// <summary>One symbology interval of the metadata's mappings: <paramref name="Symbol"/> applies from
/// <paramref name="StartDate"/> (inclusive) to <paramref name="EndDate"/> (exclusive).</summary>
public sealed record DbnMappingInterval(DateOnly StartDate, DateOnly EndDate, string Symbol);

/// <summary>One raw symbol's mapping intervals.</summary>
public sealed record DbnSymbolMapping(string RawSymbol, IReadOnlyList<DbnMappingInterval> Intervals);

/// <summary>The metadata header of a DBN stream (versions 1 to 3).</summary>
public sealed record DbnMetadata
{
    public byte Version { get; init; } = DbnConstants.CurrentVersion;

    public required string Dataset { get; init; }

    public DbnSchema Schema { get; init; } = DbnSchema.None;

    /// <summary>Query start, ns since the Unix epoch.</summary>
    public ulong Start { get; init; }

    /// <summary>Query end (exclusive), ns since the Unix epoch, or <see cref="DbnConstants.UndefinedTimestamp"/>.</summary>
    public ulong End { get; init; } = DbnConstants.UndefinedTimestamp;

    /// <summary>Record limit of the query (0 = none).</summary>
    public ulong Limit { get; init; }

    public DbnSType STypeIn { get; init; } = DbnSType.None;

    public DbnSType STypeOut { get; init; } = DbnSType.InstrumentId;

    /// <summary>Whether every record is followed by an 8-byte gateway send timestamp.</summary>
    public bool TsOut { get; init; }

    public IReadOnlyList<string> Symbols { get; init; } = [];

    public IReadOnlyList<string> Partial { get; init; } = [];

    public IReadOnlyList<string> NotFound { get; init; } = [];

    public IReadOnlyList<DbnSymbolMapping> Mappings { get; init; } = [];
}
