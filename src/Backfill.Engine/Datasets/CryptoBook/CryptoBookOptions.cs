using System.Globalization;
using Backfill.Engine.Configuration;
using Backfill.Sources.CryptoLake.Book;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>The <c>crypto-book</c> settings of one run.</summary>
public sealed record CryptoBookOptions(string LakeLocation, string Exchange, string Symbol, DecimalGrid Tick, DecimalGrid Lot, int SnapshotIntervalSeconds, int Depth)
{
    public static CryptoBookOptions From(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string Get(string key) => settings.Get(key).Value!;
        return new CryptoBookOptions(
            Get(Settings.CryptoLakeBaseUrl),
            Get(Settings.CryptoBookExchange),
            Get(Settings.CryptoBookSymbol),
            new DecimalGrid(decimal.Parse(Get(Settings.CryptoBookTickSize), CultureInfo.InvariantCulture)),
            new DecimalGrid(decimal.Parse(Get(Settings.CryptoBookLotSize), CultureInfo.InvariantCulture)),
            int.Parse(Get(Settings.CryptoBookSnapshotIntervalSeconds), CultureInfo.InvariantCulture),
            int.Parse(Get(Settings.CryptoBookDepth), CultureInfo.InvariantCulture));
    }
}
