using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Microsoft.Extensions.Logging;

namespace Backfill.Sources.ThetaData;

/// <summary>The v3 REST API (port 25503): <c>symbol</c>/<c>expiration</c>, JSON format, no paging.</summary>
public sealed class ThetaDataV3Client : ThetaDataClientBase
{
    public ThetaDataV3Client(ThetaDataClientOptions options, ILogger<ThetaDataV3Client> logger, HttpMessageHandler? handler = null)
        : base(options, logger, handler)
    {
    }

    public override string Name => "thetadata-v3";

    public override Task<IReadOnlyList<DateOnly>> ListExpirationsAsync(string root, ISourceRequestObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var what = $"expirations of {root}";
        return GetJsonAsync<IReadOnlyList<DateOnly>>(Relative($"v3/option/list/expirations?symbol={Uri.EscapeDataString(root)}&format=json"), what, doc =>
        {
            var list = new List<DateOnly>();
            foreach (var item in Response(doc, what).EnumerateArray())
            {
                if (item.TryGetProperty("expiration", out var e) && V3GreeksParser.TryParseDate(e, out var date))
                {
                    list.Add(date);
                }
            }

            list.Sort();
            return list;
        }, observer, cancellationToken);
    }

    /// <summary>
    /// <c>/v3/option/list/contracts/quote?symbol=R1,R2&amp;date=YYYYMMDD&amp;format=json</c>: every contract quoted on the
    /// date, objects with <c>symbol</c> and <c>expiration</c> (and strike, right). One request for all roots.
    /// </summary>
    public override Task<IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>?> ListQuotedExpirationsAsync(
        IReadOnlyList<string> roots, DateOnly date, ISourceRequestObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var what = $"contracts quoted on {date:yyyy-MM-dd}";
        var url = Relative($"v3/option/list/contracts/quote?symbol={Uri.EscapeDataString(string.Join(',', roots))}&date={date:yyyyMMdd}&format=json");
        return GetJsonAsync<IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>?>(url, what, doc =>
        {
            var pairs = new List<(string, DateOnly)>();
            foreach (var item in Response(doc, what).EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("symbol", out var symbol) && symbol.ValueKind == JsonValueKind.String
                    && item.TryGetProperty("expiration", out var e) && V3GreeksParser.TryParseDate(e, out var expiration))
                {
                    pairs.Add((symbol.GetString()!, expiration));
                }
            }

            return ByRoot(roots, pairs);
        }, observer, cancellationToken);
    }

    public override async Task<SourceHealth> CheckTerminalAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var count = (await ListExpirationsAsync("SPX", cancellationToken).ConfigureAwait(false)).Count;
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return new SourceHealth(true, "v3", $"Theta Terminal v3 API at {Options.BaseAddress} answered in {ms:0} ms ({count} SPX expirations).");
        }
        catch (BackfillException e)
        {
            return new SourceHealth(e.Kind is not (ErrorKind.TerminalNotRunning or ErrorKind.ConnectionFailed), null, e.Message);
        }
    }

    private protected override void ValidateRequest(OptionGreeksRequest request)
    {
        base.ValidateRequest(request);
        _ = Interval(request.IntervalMs);
    }

    private protected override Uri GreeksUrl(OptionGreeksRequest request)
    {
        var inv = CultureInfo.InvariantCulture;
        return Relative(
            $"v3/option/history/greeks/first_order?symbol={Uri.EscapeDataString(request.Root)}&expiration={request.Expiration.ToString("yyyyMMdd", inv)}"
            + $"&date={request.TradeDate.ToString("yyyyMMdd", inv)}&interval={Interval(request.IntervalMs)}&strike=*&right=both&format=json");
    }

    private protected override ChunkedJsonParser CreateParser(Stream body, string what, ISourceRequestObserver? rejected, long firstRowNumber) =>
        new V3GreeksParser(body, what, Options.RequestTimeout, Stats, rejected);

    private protected override Uri? NextPage(ChunkedJsonParser parser) => null;

    private protected override long RowNumberAfter(ChunkedJsonParser parser) => 0;

    /// <summary>v3 takes an interval name, not milliseconds.</summary>
    internal static string Interval(int ms) => ms switch
    {
        1_000 => "1s",
        5_000 => "5s",
        10_000 => "10s",
        15_000 => "15s",
        30_000 => "30s",
        60_000 => "1m",
        300_000 => "5m",
        600_000 => "10m",
        900_000 => "15m",
        1_800_000 => "30m",
        3_600_000 => "1h",
        _ => throw new InvalidInputException($"The v3 API has no interval of {ms} ms; use 1s, 5s, 10s, 15s, 30s, 1m, 5m, 10m, 15m, 30m or 1h."),
    };

    private static JsonElement Response(JsonDocument doc, string what) =>
        doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("response", out var r) && r.ValueKind == JsonValueKind.Array
            ? r
            : throw ThetaErrors.Malformed(what, "no response array");
}
