using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.CryptoBook;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Health;
using Backfill.Engine.Datasets.Ohlcv;
using Backfill.Sources.CryptoLake.Lake;
using Backfill.Sources.Databento.Dbn;
using Backfill.Sources.Databento.Http;

namespace Backfill.Cli.Commands;

/// <summary>
/// The <c>source</c> check of <c>health</c> for datasets other than <c>spx</c> (whose ThetaData check is the
/// checker's default): one cheap request that proves the vendor answers and, where it costs nothing, that the key works.
/// </summary>
internal static class SourceHealth
{
    public static Func<CancellationToken, Task<(HealthLevel Level, string Detail)>>? For(CommandContext context, EffectiveSettings settings) =>
        context.Dataset.Name switch
        {
            "fop" => ct => DatabentoAsync(context, settings, ct),
            "ohlcv" => ct => AlphaVantageAsync(context, settings, ct),
            "crypto-book" => ct => CryptoLakeAsync(context, settings, ct),
            _ => null,
        };

    /// <summary>A cost estimate of one day of definitions: free, authenticated, so it checks the key too.</summary>
    private static async Task<(HealthLevel, string)> DatabentoAsync(CommandContext context, EffectiveSettings settings, CancellationToken ct)
    {
        try
        {
            using var client = FopSourceFactory.CreateClient(settings, context.Environment.Variables, HealthChecker.NoRetries());
            var day = DateOnly.FromDateTime(context.Environment.Time.GetUtcNow().UtcDateTime).AddDays(-7);
            var cost = await client.GetCostAsync(
                GetRangeRequest.ForDates(FopStrategy.Dataset, ["OH.OPT"], DbnSchema.Definition, DbnSType.Parent, day, day.AddDays(1)), ct);
            return (HealthLevel.Ok, string.Create(CultureInfo.InvariantCulture,
                $"Databento at {settings.Get(Settings.DatabentoBaseUrl).Value} accepted the API key (one day of OH definitions would cost ${cost:0.####})."));
        }
        catch (Exception e) when (e is BackfillException or InvalidInputException or HttpRequestException)
        {
            return (HealthLevel.Fail, $"Databento at {settings.Get(Settings.DatabentoBaseUrl).Value}: {e.Message}");
        }
    }

    /// <summary>
    /// Alpha Vantage counts every call against the daily quota, so the key is only checked to be configured and the
    /// service to answer at all (a request without a key).
    /// </summary>
    private static async Task<(HealthLevel, string)> AlphaVantageAsync(CommandContext context, EffectiveSettings settings, CancellationToken ct)
    {
        var baseUrl = settings.Get(Settings.AlphaVantageBaseUrl).Value!.TrimEnd('/');
        string keyNote;
        try
        {
            Backfill.Encryption.KeyStore? keys = null;
            try
            {
                keys = KeysCommand.LoadStore(settings, context.Environment);
            }
            catch (Exception e) when (e is BackfillException or InvalidInputException or IOException)
            {
                // Without the key store only ALPHA_VANTAGE_API_KEY can give the key; ApiKey says so when it is not set.
            }

            _ = OhlcvSourceFactory.ApiKey(name => context.Environment.Variables.TryGetValue(name, out var v) ? v : Environment.GetEnvironmentVariable(name), settings, keys);
            keyNote = "an API key is configured (not sent, to spare the daily quota)";
        }
        catch (Exception e) when (e is BackfillException or InvalidInputException)
        {
            return (HealthLevel.Fail, e.Message);
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var response = await http.GetAsync(new Uri(baseUrl + "/"), HttpCompletionOption.ResponseHeadersRead, ct);
            return (HealthLevel.Ok, string.Create(CultureInfo.InvariantCulture, $"Alpha Vantage at {baseUrl} answers (HTTP {(int)response.StatusCode}); {keyNote}."));
        }
        catch (HttpRequestException e)
        {
            return (HealthLevel.Fail, $"Alpha Vantage at {baseUrl} does not answer: {e.Message}");
        }
    }

    /// <summary>Lists yesterday's (UTC) delta files of the configured market.</summary>
    private static async Task<(HealthLevel, string)> CryptoLakeAsync(CommandContext context, EffectiveSettings settings, CancellationToken ct)
    {
        try
        {
            var options = CryptoBookOptions.From(settings);
            using var store = LakeStore.Open(options.LakeLocation, requestTimeout: TimeSpan.FromSeconds(5), retry: HealthChecker.NoRetries());
            var day = DateOnly.FromDateTime(context.Environment.Time.GetUtcNow().UtcDateTime).AddDays(-1);
            var partition = LakePartition.Create(LakeTable.BookDeltaV2, options.Exchange, options.Symbol, day);
            var files = await store.ListAsync(partition, ct);
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"{store.Description}: {files.Count} book_delta_v2 file(s) for {options.Exchange} {options.Symbol} on {day:yyyy-MM-dd}");
            return files.Count > 0 ? (HealthLevel.Ok, detail + ".") : (HealthLevel.Warn, detail + "; the store answers but holds no data for that day yet.");
        }
        catch (Exception e) when (e is BackfillException or InvalidInputException or HttpRequestException or IOException)
        {
            return (HealthLevel.Fail, e.Message);
        }
    }
}
