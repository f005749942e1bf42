using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>The settings of the <c>crypto-book</c> dataset.</summary>
public static class CryptoBookSettings
{
    public const string CryptoLakeBaseUrl = "cryptolake.baseUrl";
    public const string CryptoBookExchange = "cryptobook.exchange";
    public const string CryptoBookSymbol = "cryptobook.symbol";
    public const string CryptoBookTickSize = "cryptobook.tickSize";
    public const string CryptoBookLotSize = "cryptobook.lotSize";
    public const string CryptoBookSnapshotIntervalSeconds = "cryptobook.snapshotIntervalSeconds";
    public const string CryptoBookDepth = "cryptobook.depth";

    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        new(CryptoLakeBaseUrl, SettingKind.Custom, "./data/cryptolake",
            "crypto-book: Crypto Lake's files: the bucket (s3://BUCKET/PREFIX, credentials from the AWS chain, see s3.*), a local mirror folder ({table}/exchange=X/symbol=Y/dt=YYYY-MM-DD/*.parquet) or an http(s) base answering S3 listing.", "https://s3.eu-west-1.amazonaws.com/BUCKET/market-data/cryptofeed", Check: LakeLocation),
        new(CryptoBookExchange, SettingKind.Custom, "BINANCE",
            "crypto-book: Crypto Lake exchange name.", "BINANCE", Check: LakePartition.ValidateExchange),
        new(CryptoBookSymbol, SettingKind.Custom, "BTC-USDT",
            "crypto-book: Crypto Lake symbol.", "BTC-USDT", Check: LakePartition.ValidateSymbol),
        new(CryptoBookTickSize, SettingKind.GridStep, "0.01",
            "crypto-book: the instrument's price tick; prices become exact integer ticks and off-grid values are counted.", "0.01"),
        new(CryptoBookLotSize, SettingKind.GridStep, "0.00000001",
            "crypto-book: the size step sizes are kept in (Binance sends 8 decimals).", "0.00000001"),
        new(CryptoBookSnapshotIntervalSeconds, SettingKind.PositiveInt, "60",
            "crypto-book: seconds between the top-N snapshots written from the rebuilt book.", "60", Max: 86_400),
        new(CryptoBookDepth, SettingKind.PositiveInt, "20",
            "crypto-book: levels a side in the written snapshots (N of top-N).", "20", Max: 1000),
    ];

    /// <summary>An http(s) base (opened once to check it; <c>s3://</c> is refused with the way around) or a local mirror folder.</summary>
    private static string LakeLocation(string text)
    {
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
            {
                SettingValidator.RefuseUserInfo(CryptoLakeBaseUrl, uri);

                // A query is where signed or token URLs keep their secret, and the S3 listing writes its own query anyway.
                if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
                {
                    throw new InvalidInputException(
                        $"{CryptoLakeBaseUrl}: the URL must not carry a query string (it may hold a token). Remove the '?...' part and give the bucket's base, e.g. https://s3.eu-west-1.amazonaws.com/BUCKET/market-data/cryptofeed.");
                }
            }

            using var store = LakeStore.Open(text);
            return text.TrimEnd('/');
        }

        SettingValidator.CheckPath(CryptoLakeBaseUrl, text);
        return text;
    }
}
