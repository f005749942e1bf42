using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Backfill.Simulators.AlphaVantage;

public sealed class AlphaVantageSimulatorStats
{
    private long _requests;
    private long _faults;
    private long _errorBodies;

    public long Requests => Interlocked.Read(ref _requests);

    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>HTTP 200 answers carrying an error or limit body.</summary>
    public long ErrorBodies => Interlocked.Read(ref _errorBodies);

    internal void AddRequest() => Interlocked.Increment(ref _requests);

    internal void AddFault() => Interlocked.Increment(ref _faults);

    internal void AddErrorBody() => Interlocked.Increment(ref _errorBodies);
}

/// <summary>
/// Alpha Vantage's <c>GET /query</c> on loopback for <c>TIME_SERIES_DAILY</c> and <c>TIME_SERIES_DAILY_ADJUSTED</c>, in the
/// real shapes: JSON (<c>Meta Data</c>, <c>Time Series (Daily)</c>, fields <c>1. open</c>...) or CSV (CRLF). Errors come as
/// the vendor sends them, HTTP 200 with a one-key JSON body, also for CSV: unknown symbol or function, missing key, the
/// demo key, premium-only requests on a free key, the daily limit (which echoes the key, as the real one does), and
/// seeded faults (burst-limit Information, legacy per-minute Note, 503).
/// </summary>
public sealed class AlphaVantageSimulator : IAsyncDisposable
{
    public const string BurstBody = "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second). You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day) and instantly remove all daily rate limits.";
    public const string LegacyNoteBody = "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target a higher API call frequency.";
    public const string PremiumBody = "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints";
    public const string DemoBody = "The **demo** API key is for demo purposes only. Please claim your free API key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings. It takes fewer than 20 seconds.";
    public const string MissingKeyBody = "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds.";

    private readonly WebApplication _app;
    private readonly AlphaVantageSimulatorOptions _options;
    private readonly EquityMarket _market;
    private readonly Random _faults;
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private readonly HashSet<string> _symbols;

    private AlphaVantageSimulator(WebApplication app, AlphaVantageSimulatorOptions options)
    {
        _app = app;
        _options = options;
        _market = new EquityMarket(options.Seed, options.Today);
        _faults = new Random(options.Faults.Seed);
        _symbols = new HashSet<string>(options.Symbols, StringComparer.Ordinal);
        BaseAddress = new Uri("http://127.0.0.1/");
    }

    public Uri BaseAddress { get; private set; }

    public AlphaVantageSimulatorStats Stats { get; } = new();

    public EquityMarket Market => _market;

    public static async Task<AlphaVantageSimulator> StartAsync(AlphaVantageSimulatorOptions options, int port = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Faults.Probability is < 0 or > 1 || (options.Faults.Probability > 0 && options.Faults.Kinds.Count == 0))
        {
            throw new ArgumentException("The fault probability must lie between 0 and 1, with fault kinds when above 0.", nameof(options));
        }

        var app = LoopbackHost.Create(port);
        var simulator = new AlphaVantageSimulator(app, options);
        app.MapGet("/query", simulator.QueryAsync);
        simulator.BaseAddress = await LoopbackHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
        return simulator;
    }

    public ValueTask DisposeAsync() => LoopbackHost.StopAsync(_app);

    private async Task QueryAsync(HttpContext context)
    {
        Stats.AddRequest();
        var q = context.Request.Query;
        var function = q["function"].ToString();
        var symbol = q["symbol"].ToString().ToUpperInvariant();
        var key = q["apikey"].ToString();
        var csv = string.Equals(q["datatype"].ToString(), "csv", StringComparison.OrdinalIgnoreCase);
        var full = string.Equals(q["outputsize"].ToString(), "full", StringComparison.OrdinalIgnoreCase);
        if (key.Length == 0)
        {
            await ErrorAsync(context, "Error Message", MissingKeyBody);
            return;
        }

        if (key == "demo")
        {
            await ErrorAsync(context, "Information", DemoBody);
            return;
        }

        if (_options.DailyLimit is { } limit)
        {
            int used;
            lock (_perKey)
            {
                used = _perKey.TryGetValue(key, out var n) ? n : 0;
                _perKey[key] = used + 1;
            }

            if (used >= limit)
            {
                await ErrorAsync(context, "Information",
                    $"We have detected your API key as {key} and our standard API rate limit is {limit} requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits.");
                return;
            }
        }

        if (PickFault() is { } fault)
        {
            Stats.AddFault();
            switch (fault)
            {
                case AlphaVantageFaultKind.BurstLimit:
                    await ErrorAsync(context, "Information", BurstBody);
                    return;
                case AlphaVantageFaultKind.LegacyPerMinuteNote:
                    await ErrorAsync(context, "Note", LegacyNoteBody);
                    return;
                default:
                    context.Response.StatusCode = 503;
                    context.Response.ContentType = "text/html";
                    await context.Response.WriteAsync("<html><body>503 Service Temporarily Unavailable</body></html>", context.RequestAborted);
                    return;
            }
        }

        var adjusted = function == "TIME_SERIES_DAILY_ADJUSTED";
        if ((function != "TIME_SERIES_DAILY" && !adjusted) || !_symbols.Contains(symbol))
        {
            await ErrorAsync(context, "Error Message",
                $"Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for {(function.Length == 0 ? "TIME_SERIES_DAILY" : function)}.");
            return;
        }

        if (!_options.Premium && (adjusted || full))
        {
            await ErrorAsync(context, "Information", adjusted ? PremiumBody
                : "Thank you for using Alpha Vantage! The outputsize=full parameter value is a premium feature for the TIME_SERIES_DAILY endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium features");
            return;
        }

        var series = _market.Series(symbol);
        var bars = full ? series : series.Skip(Math.Max(0, series.Count - 100)).ToList();
        var body = csv ? Csv(bars, adjusted) : Json(symbol, bars, adjusted, full);
        context.Response.StatusCode = 200;
        context.Response.ContentType = csv ? "application/x-download" : "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    private AlphaVantageFaultKind? PickFault()
    {
        var faults = _options.Faults;
        if (faults.Probability <= 0)
        {
            return null;
        }

        lock (_faults)
        {
            return _faults.NextDouble() < faults.Probability ? faults.Kinds[_faults.Next(faults.Kinds.Count)] : null;
        }
    }

    private async Task ErrorAsync(HttpContext context, string key, string message)
    {
        Stats.AddErrorBody();
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { [key] = message }), context.RequestAborted);
    }

    private static string F(decimal value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string Csv(IReadOnlyList<SimBar> bars, bool adjusted)
    {
        var text = new StringBuilder(adjusted
            ? "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient\r\n"
            : "timestamp,open,high,low,close,volume\r\n");
        for (var i = bars.Count - 1; i >= 0; i--)
        {
            var b = bars[i];
            text.Append(b.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append(',').Append(F(b.Open)).Append(',').Append(F(b.High)).Append(',')
                .Append(F(b.Low)).Append(',').Append(F(b.Close)).Append(',');
            if (adjusted)
            {
                text.Append(F(b.AdjustedClose)).Append(',').Append(b.Volume.ToString(CultureInfo.InvariantCulture)).Append(',').Append(F(b.Dividend)).Append(',')
                    .Append(b.Split.ToString("0.0", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(b.Volume.ToString(CultureInfo.InvariantCulture));
            }

            text.Append("\r\n");
        }

        return text.ToString();
    }

    private string Json(string symbol, IReadOnlyList<SimBar> bars, bool adjusted, bool full)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("Meta Data");
            w.WriteString("1. Information", adjusted ? "Daily Time Series with Splits and Dividend Events" : "Daily Prices (open, high, low, close) and Volumes");
            w.WriteString("2. Symbol", symbol);
            w.WriteString("3. Last Refreshed", _market.Today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteString("4. Output Size", full ? "Full size" : "Compact");
            w.WriteString("5. Time Zone", "US/Eastern");
            w.WriteEndObject();
            w.WriteStartObject("Time Series (Daily)");
            for (var i = bars.Count - 1; i >= 0; i--)
            {
                var b = bars[i];
                w.WriteStartObject(b.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteString("1. open", F(b.Open));
                w.WriteString("2. high", F(b.High));
                w.WriteString("3. low", F(b.Low));
                w.WriteString("4. close", F(b.Close));
                if (adjusted)
                {
                    w.WriteString("5. adjusted close", F(b.AdjustedClose));
                    w.WriteString("6. volume", b.Volume.ToString(CultureInfo.InvariantCulture));
                    w.WriteString("7. dividend amount", F(b.Dividend));
                    w.WriteString("8. split coefficient", b.Split.ToString("0.0", CultureInfo.InvariantCulture));
                }
                else
                {
                    w.WriteString("5. volume", b.Volume.ToString(CultureInfo.InvariantCulture));
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
