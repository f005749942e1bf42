namespace Backfill.Sources.Databento.Dbn;

/// <summary>DBN schema ids as stored in the metadata header (u16; 0xFFFF = none or mixed).</summary>
public enum DbnSchema : ushort
{
    Mbo = 0,
    Mbp1 = 1,
    Mbp10 = 2,
    Tbbo = 3,
    Trades = 4,
    Ohlcv1S = 5,
    Ohlcv1M = 6,
    Ohlcv1H = 7,
    Ohlcv1D = 8,
    Definition = 9,
    Statistics = 10,
    Status = 11,
    Imbalance = 12,
    OhlcvEod = 13,
    None = 0xFFFF,
}

/// <summary>Symbology types (u8 in the metadata; 0xFF = none).</summary>
public enum DbnSType : byte
{
    InstrumentId = 0,
    RawSymbol = 1,
    Smart = 2,
    Continuous = 3,
    Parent = 4,
    None = 0xFF,
}

/// <summary>Record type ids (the <c>rtype</c> byte of every record header).</summary>
public static class DbnRType
{
    public const byte Trade = 0x00;
    public const byte Mbp1 = 0x01;
    public const byte Definition = 0x13;
    public const byte Error = 0x15;
    public const byte SymbolMapping = 0x16;
    public const byte System = 0x17;
    public const byte Statistics = 0x18;
    public const byte Ohlcv1S = 0x20;
    public const byte Ohlcv1M = 0x21;
    public const byte Ohlcv1H = 0x22;
    public const byte Ohlcv1D = 0x23;
    public const byte OhlcvEod = 0x24;
}

/// <summary>Statistic types of the <c>statistics</c> schema (u16 <c>stat_type</c>).</summary>
public enum DbnStatType : ushort
{
    OpeningPrice = 1,
    IndicativeOpeningPrice = 2,

    /// <summary>Daily settlement price; <c>ts_ref</c> is the trading date it settles.</summary>
    SettlementPrice = 3,
    TradingSessionLowPrice = 4,
    TradingSessionHighPrice = 5,
    ClearedVolume = 6,
    LowestOffer = 7,
    HighestBid = 8,
    OpenInterest = 9,
    FixingPrice = 10,
    ClosePrice = 11,
    NetChange = 12,
    Vwap = 13,
    Volatility = 14,
    Delta = 15,
}

/// <summary>Fixed-point and sentinel values shared by every DBN version.</summary>
public static class DbnConstants
{
    /// <summary>One price unit is 1e-9.</summary>
    public const long FixedPriceScale = 1_000_000_000;

    /// <summary>The null price.</summary>
    public const long UndefinedPrice = long.MaxValue;

    /// <summary>The null timestamp.</summary>
    public const ulong UndefinedTimestamp = ulong.MaxValue;

    /// <summary>Newest DBN version this decoder reads and the version the encoder writes.</summary>
    public const byte CurrentVersion = 3;

    /// <summary>Symbol field width in the metadata of versions 2 and 3 (version 1: 22).</summary>
    public const int SymbolCstrLength = 71;

    public const int SymbolCstrLengthV1 = 22;

    /// <summary>A fixed-point price as a decimal, or null for <see cref="UndefinedPrice"/>.</summary>
    public static decimal? ToDecimal(long price) => price == UndefinedPrice ? null : (decimal)price / FixedPriceScale;

    /// <summary>A fixed-point price as a double, or NaN for <see cref="UndefinedPrice"/>.</summary>
    public static double ToDouble(long price) => price == UndefinedPrice ? double.NaN : price / (double)FixedPriceScale;

    /// <summary>A decimal price as fixed-point (rounded to 1e-9).</summary>
    public static long FromDecimal(decimal price) => (long)decimal.Round(price * FixedPriceScale, 0, MidpointRounding.ToEven);

    /// <summary>A timestamp (ns since the Unix epoch) as UTC time, or null when undefined.</summary>
    public static DateTimeOffset? ToTime(ulong nanos) => nanos == UndefinedTimestamp
        ? null
        : DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100));

    /// <summary>UTC midnight of <paramref name="date"/> in ns since the Unix epoch.</summary>
    public static ulong ToNanos(DateOnly date) => (ulong)(date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber) * 86_400_000_000_000UL;

    /// <summary>The UTC calendar date of a timestamp.</summary>
    public static DateOnly ToUtcDate(ulong nanos) =>
        DateOnly.FromDayNumber(DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber + (int)(nanos / 86_400_000_000_000UL));
}
