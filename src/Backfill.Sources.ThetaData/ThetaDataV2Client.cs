using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Microsoft.Extensions.Logging;

namespace Backfill.Sources.ThetaData;

/// <summary>The legacy v2 REST API: <c>/v2/list/expirations</c>, <c>/v2/bulk_hist/option/greeks</c>, paged by <c>next_page</c>.</summary>
public sealed class ThetaDataV2Client : ThetaDataClientBase
{
    public ThetaDataV2Client(ThetaDataClientOptions options, ILogger<ThetaDataV2Client> logger, HttpMessageHandler? handler = null)
        : base(options, logger, handler)
    {
    }

    public override string Name => "thetadata-v2";

    public override Task<IReadOnlyList<DateOnly>> ListExpirationsAsync(string root, ISourceRequestObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var url = Relative($"v2/list/expirations?root={Uri.EscapeDataString(root)}");
        return GetJsonAsync<IReadOnlyList<DateOnly>>(url, $"expirations of {root}", doc =>
        {
            var list = new List<DateOnly>();
            foreach (var item in Response(doc, $"expirations of {root}").EnumerateArray())
            {
                // The terminal has been seen to put a 0 sentinel in this list.
                if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var ymd) && GreeksRowBuilder.TryYmd(ymd, out var date))
                {
                    list.Add(date);
                }
            }

            list.Sort();
            return list;
        }, observer, cancellationToken);
    }

    /// <summary>
    /// <c>/v2/list/contracts/option/quote?start_date=YYYYMMDD&amp;root=R1,R2</c>: every contract quoted on the date, rows
    /// <c>[root, expiration, strike, right]</c>. One request for all roots (the terminal adds a fixed 500 ms to it).
    /// </summary>
    public override Task<IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>?> ListQuotedExpirationsAsync(
        IReadOnlyList<string> roots, DateOnly date, ISourceRequestObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var what = $"contracts quoted on {date:yyyy-MM-dd}";
        var url = Relative($"v2/list/contracts/option/quote?start_date={date:yyyyMMdd}&root={Uri.EscapeDataString(string.Join(',', roots))}");
        return GetJsonAsync<IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>?>(url, what, doc =>
        {
            var pairs = new List<(string, DateOnly)>();
            foreach (var row in Response(doc, what).EnumerateArray())
            {
                if (row.ValueKind == JsonValueKind.Array && row.GetArrayLength() >= 2 && row[0].ValueKind == JsonValueKind.String
                    && row[1].ValueKind == JsonValueKind.Number && row[1].TryGetInt32(out var ymd) && GreeksRowBuilder.TryYmd(ymd, out var expiration))
                {
                    pairs.Add((row[0].GetString()!, expiration));
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
            var roots = await GetJsonAsync(Relative("v2/list/roots/option"), "option roots", doc => Response(doc, "option roots").GetArrayLength(), cancellationToken)
                .ConfigureAwait(false);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return new SourceHealth(true, "v2", $"Theta Terminal v2 API at {Options.BaseAddress} answered in {ms:0} ms ({roots} option roots).");
        }
        catch (ApiVersionGoneException e)
        {
            return new SourceHealth(true, null, e.Message);
        }
        catch (BackfillException e)
        {
            return new SourceHealth(e.Kind is not (ErrorKind.TerminalNotRunning or ErrorKind.ConnectionFailed), null, e.Message);
        }
    }

    private protected override Uri GreeksUrl(OptionGreeksRequest request)
    {
        var inv = CultureInfo.InvariantCulture;
        var day = request.TradeDate.ToString("yyyyMMdd", inv);
        return Relative(
            $"v2/bulk_hist/option/greeks?root={Uri.EscapeDataString(request.Root)}&exp={request.Expiration.ToString("yyyyMMdd", inv)}"
            + $"&start_date={day}&end_date={day}&ivl={request.IntervalMs.ToString(inv)}&rth=true");
    }

    private protected override ChunkedJsonParser CreateParser(Stream body, string what, ISourceRequestObserver? rejected, long firstRowNumber) =>
        new V2GreeksParser(body, what, Options.RequestTimeout, Stats, rejected, firstRowNumber);

    private protected override Uri? NextPage(ChunkedJsonParser parser) => ((V2GreeksParser)parser).NextPage;

    private protected override long RowNumberAfter(ChunkedJsonParser parser) => ((V2GreeksParser)parser).RowNumber;

    private static JsonElement Response(JsonDocument doc, string what)
    {
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("response", out var response) || response.ValueKind != JsonValueKind.Array)
        {
            throw ThetaErrors.Malformed(what, "no response array");
        }

        if (root.TryGetProperty("header", out var header) && header.TryGetProperty("error_type", out var type)
            && type.ValueKind == JsonValueKind.String && type.GetString() is { Length: > 0 } t && !t.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            throw ThetaErrors.FromErrorType(t, what, header.TryGetProperty("error_msg", out var m) ? m.ToString() : null);
        }

        return response;
    }
}
