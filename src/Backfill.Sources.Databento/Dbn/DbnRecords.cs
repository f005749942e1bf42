namespace Backfill.Sources.Databento.Dbn;

/// <summary>The 16-byte header every DBN record starts with.</summary>
/// <param name="Length">Record length in bytes (the wire stores it in 4-byte words).</param>
public readonly record struct DbnRecordHeader(int Length, byte RType, ushort PublisherId, uint InstrumentId, ulong TsEvent)
{
    public const int Size = 16;
}

/// <summary>A decoded record. Only the types the project needs are decoded; others arrive as <see cref="DbnUnknownRecord"/>.</summary>
public abstract record DbnRecord(DbnRecordHeader Header)
{
    public uint InstrumentId => Header.InstrumentId;
}

/// <summary>An OHLCV bar (56 bytes in every version); prices fixed-point 1e-9.</summary>
public sealed record DbnOhlcv(DbnRecordHeader Header, long Open, long High, long Low, long Close, ulong Volume) : DbnRecord(Header)
{
    public const int Size = 56;
}

/// <summary>A trade (48 bytes in every version).</summary>
public sealed record DbnTrade(
    DbnRecordHeader Header, long Price, uint Size, char Action, char Side, byte Flags, byte Depth, ulong TsRecv, int TsInDelta, uint Sequence)
    : DbnRecord(Header)
{
    public const int RecordSize = 48;
}

/// <summary>A statistic (v3: 80 bytes, 64-bit quantity; v1/v2: 64 bytes, 32-bit quantity).</summary>
/// <param name="TsRef">Reference time; for settlement prices, the trading date settled (UTC midnight).</param>
/// <param name="Quantity">Undefined as <see cref="long.MaxValue"/> (v1/v2 <see cref="int.MaxValue"/> is widened to it).</param>
public sealed record DbnStat(
    DbnRecordHeader Header, ulong TsRecv, ulong TsRef, long Price, long Quantity, uint Sequence, int TsInDelta,
    DbnStatType StatType, ushort ChannelId, byte UpdateAction, byte StatFlags) : DbnRecord(Header)
{
    public const int SizeV3 = 80;
    public const int SizeV1 = 64;

    /// <summary>Quantity sentinel meaning "undefined".</summary>
    public const long UndefinedQuantity = long.MaxValue;
}

/// <summary>The fields of an instrument definition the project uses (v3 layout, 520 bytes).</summary>
/// <param name="Expiration">Last eligible trade time, ns since the Unix epoch.</param>
/// <param name="StrikePrice">Fixed-point strike, <see cref="DbnConstants.UndefinedPrice"/> for futures.</param>
/// <param name="InstrumentClass">F future, C call, P put, S spread...</param>
public sealed record DbnDefinition(
    DbnRecordHeader Header,
    ulong TsRecv,
    long MinPriceIncrement,
    long DisplayFactor,
    ulong Expiration,
    ulong Activation,
    long StrikePrice,
    uint UnderlyingId,
    int ContractMultiplier,
    ushort MaturityYear,
    string Currency,
    string RawSymbol,
    string Group,
    string Exchange,
    string Asset,
    string Cfi,
    string SecurityType,
    string UnitOfMeasure,
    string Underlying,
    char InstrumentClass,
    char SecurityUpdateAction,
    byte MaturityMonth,
    byte MaturityDay) : DbnRecord(Header)
{
    public const int SizeV3 = 520;
}

/// <summary>A record of a type this decoder does not interpret; its bytes are skipped using the header length.</summary>
public sealed record DbnUnknownRecord(DbnRecordHeader Header) : DbnRecord(Header);
