using System.Text.Json;

namespace Backfill.Engine.Datasets.Spx.Staging;

/// <summary>
/// The stable field names of a staged greeks line. One JSON object per line, fields written in this order:
/// <c>{"d":20240102,"r":"SPXW","e":20240119,"k":4700000,"c":"C","m":34200000,"b":1.5,"a":1.6,"dl":0.5,
/// "th":-0.1,"vg":0.2,"rh":0.01,"ep":-0.01,"lm":12.5,"iv":0.15,"ie":0,"m2":34200000,"u":4700.5}</c>.
/// Dates are <c>yyyyMMdd</c> integers, strikes are thousandths of a dollar, doubles are the shortest plain decimal
/// that reads back to the same bits, else the shortest round-trip text; non-finite doubles are written as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>.
/// Renaming a field is a format change: readers of older staging files would reject every line.
/// </summary>
internal static class GreeksStagingFormat
{
    public const string CompleteExtension = ".ndjson";
    public const string PartialExtension = ".ndjson.part";

    public static readonly JsonEncodedText TradeDate = JsonEncodedText.Encode("d");
    public static readonly JsonEncodedText Root = JsonEncodedText.Encode("r");
    public static readonly JsonEncodedText Expiration = JsonEncodedText.Encode("e");
    public static readonly JsonEncodedText Strike = JsonEncodedText.Encode("k");
    public static readonly JsonEncodedText Right = JsonEncodedText.Encode("c");
    public static readonly JsonEncodedText MsOfDay = JsonEncodedText.Encode("m");
    public static readonly JsonEncodedText Bid = JsonEncodedText.Encode("b");
    public static readonly JsonEncodedText Ask = JsonEncodedText.Encode("a");
    public static readonly JsonEncodedText Delta = JsonEncodedText.Encode("dl");
    public static readonly JsonEncodedText Theta = JsonEncodedText.Encode("th");
    public static readonly JsonEncodedText Vega = JsonEncodedText.Encode("vg");
    public static readonly JsonEncodedText Rho = JsonEncodedText.Encode("rh");
    public static readonly JsonEncodedText Epsilon = JsonEncodedText.Encode("ep");
    public static readonly JsonEncodedText Lambda = JsonEncodedText.Encode("lm");
    public static readonly JsonEncodedText ImpliedVol = JsonEncodedText.Encode("iv");
    public static readonly JsonEncodedText IvError = JsonEncodedText.Encode("ie");
    public static readonly JsonEncodedText MsOfDay2 = JsonEncodedText.Encode("m2");
    public static readonly JsonEncodedText UnderlyingPrice = JsonEncodedText.Encode("u");

    /// <summary>Field ids, also the bit positions of the "seen" mask the reader checks.</summary>
    public enum Field
    {
        TradeDate,
        Root,
        Expiration,
        Strike,
        Right,
        MsOfDay,
        Bid,
        Ask,
        Delta,
        Theta,
        Vega,
        Rho,
        Epsilon,
        Lambda,
        ImpliedVol,
        IvError,
        MsOfDay2,
        UnderlyingPrice,
        Unknown,
    }

    public const int AllFieldsMask = (1 << (int)Field.Unknown) - 1;

    /// <summary>Maps a property name (unescaped UTF-8) to its field; names are one or two ASCII bytes.</summary>
    public static Field Lookup(ReadOnlySpan<byte> name)
    {
        if (name.Length == 1)
        {
            return name[0] switch
            {
                (byte)'d' => Field.TradeDate,
                (byte)'r' => Field.Root,
                (byte)'e' => Field.Expiration,
                (byte)'k' => Field.Strike,
                (byte)'c' => Field.Right,
                (byte)'m' => Field.MsOfDay,
                (byte)'b' => Field.Bid,
                (byte)'a' => Field.Ask,
                (byte)'u' => Field.UnderlyingPrice,
                _ => Field.Unknown,
            };
        }

        if (name.Length == 2)
        {
            return (name[0] | (name[1] << 8)) switch
            {
                'd' | ('l' << 8) => Field.Delta,
                't' | ('h' << 8) => Field.Theta,
                'v' | ('g' << 8) => Field.Vega,
                'r' | ('h' << 8) => Field.Rho,
                'e' | ('p' << 8) => Field.Epsilon,
                'l' | ('m' << 8) => Field.Lambda,
                'i' | ('v' << 8) => Field.ImpliedVol,
                'i' | ('e' << 8) => Field.IvError,
                'm' | ('2' << 8) => Field.MsOfDay2,
                _ => Field.Unknown,
            };
        }

        return Field.Unknown;
    }

    /// <summary>Date as the <c>yyyyMMdd</c> integer staged on each line.</summary>
    public static int ToNumber(DateOnly date) => (date.Year * 10000) + (date.Month * 100) + date.Day;

    public static bool TryFromNumber(int value, out DateOnly date)
    {
        var year = value / 10000;
        var month = value / 100 % 100;
        var day = value % 100;
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            date = default;
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }
}
