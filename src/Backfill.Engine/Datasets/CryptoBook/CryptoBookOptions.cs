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
            Get(CryptoBookSettings.CryptoLakeBaseUrl),
            Get(CryptoBookSettings.CryptoBookExchange),
            Get(CryptoBookSettings.CryptoBookSymbol),
            new DecimalGrid(decimal.Parse(Get(CryptoBookSettings.CryptoBookTickSize), CultureInfo.InvariantCulture)),
            new DecimalGrid(decimal.Parse(Get(CryptoBookSettings.CryptoBookLotSize), CultureInfo.InvariantCulture)),
            int.Parse(Get(CryptoBookSettings.CryptoBookSnapshotIntervalSeconds), CultureInfo.InvariantCulture),
            int.Parse(Get(CryptoBookSettings.CryptoBookDepth), CultureInfo.InvariantCulture));
    }
}
