using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Backfill.Simulators.ThetaData;

/// <summary>
/// A Theta Terminal look-alike on loopback: the v2 and v3 REST endpoints Backfill uses, deterministic option
/// data for any root (SPX and SPXW as they always were) and seeded fault injection. Responses are streamed;
/// nothing is built whole in memory.
/// </summary>
public sealed class ThetaDataSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ThetaDataSimulatorOptions _options;
    private readonly ThetaFaultInjector _faults;
    private long _requestSequence;

    private ThetaDataSimulator(WebApplication app, ThetaDataSimulatorOptions options)
    {
        _app = app;
        _options = options;
        _faults = new ThetaFaultInjector(options.Faults);
        Market = new OptionMarket(options.Seed, options.Scale);
        Pages = new V2PageRegistry();
        BaseAddress = new Uri("http://127.0.0.1/");
    }

    public Uri BaseAddress { get; private set; }

    public ThetaSimulatorStats Stats { get; } = new();

    internal OptionMarket Market { get; }

    internal V2PageRegistry Pages { get; }

    internal ThetaDataSimulatorOptions Options => _options;

    public static async Task<ThetaDataSimulator> StartAsync(
        ThetaDataSimulatorOptions options, int port = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Scale);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.TickLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Faults.Probability);
        ArgumentNullException.ThrowIfNull(options.Latency);
        ArgumentNullException.ThrowIfNull(options.Delay);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Latency.FirstByteMedian, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Latency.BytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Latency.FirstByteSpread);
        if (options.Faults.Probability > 0 && options.Faults.Kinds.Count == 0)
        {
            throw new ArgumentException("Fault probability is above zero but no fault kinds are given.", nameof(options));
        }

        var app = LoopbackHost.Create(port);
        var simulator = new ThetaDataSimulator(app, options);
        simulator.Map(app);
        simulator.BaseAddress = await LoopbackHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
        return simulator;
    }

    public ValueTask DisposeAsync() => LoopbackHost.StopAsync(_app);

    private void Map(WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            Stats.CountRequest(ctx.Request.Path.Value ?? "/");
            Stats.Enter();
            try
            {
                if (_options.FirstByteDelay > TimeSpan.Zero)
                {
                    await _options.Delay(_options.FirstByteDelay, ctx.RequestAborted).ConfigureAwait(false);
                }

                var latency = _options.Latency;
                var paced = false;
                if (!latency.IsNone)
                {
                    var firstByte = latency.FirstByteFor(ctx.Request.Path.Value ?? "/", ctx.Request.QueryString.Value ?? "");
                    if (firstByte > TimeSpan.Zero)
                    {
                        Stats.AddLatency(firstByte);
                        await _options.Delay(firstByte, ctx.RequestAborted).ConfigureAwait(false);
                    }

                    if (latency.BytesPerSecond > 0)
                    {
                        ctx.Response.Body = new PacedStream(ctx.Response.Body, latency, async (wait, ct) =>
                        {
                            Stats.AddLatency(wait);
                            await _options.Delay(wait, ct).ConfigureAwait(false);
                        });
                        paced = true;
                    }
                }

                await next(ctx).ConfigureAwait(false);
                if (paced && !ctx.RequestAborted.IsCancellationRequested)
                {
                    // The replaced body's writer holds what the handlers wrote without flushing; Kestrel only completes its own.
                    await ctx.Response.CompleteAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
            {
                // The client went away; nothing to answer.
            }
            finally
            {
                Stats.Exit();
            }
        });

        var v2 = new V2Endpoints(this);
        foreach (var prefix in new[] { "/v2", string.Empty })
        {
            app.MapGet(prefix + "/list/roots/option", ctx => V2(ctx, v2.ListRootsAsync));
            app.MapGet(prefix + "/list/expirations", ctx => V2(ctx, v2.ListExpirationsAsync));
            app.MapGet(prefix + "/list/strikes", ctx => V2(ctx, v2.ListStrikesAsync));
            app.MapGet(prefix + "/list/dates/option/quote", ctx => V2(ctx, v2.ListDatesAsync));
            app.MapGet(prefix + "/list/contracts/option/quote", ctx => V2(ctx, v2.ListContractsAsync));
            app.MapGet(prefix + "/list/contracts/option/trade", ctx => V2(ctx, v2.ListContractsAsync));
            app.MapGet(prefix + "/bulk_hist/option/greeks", ctx => V2(ctx, v2.BulkGreeksAsync));
            app.MapGet(prefix + "/page/{id}", ctx => V2(ctx, v2.PageAsync));
        }

        var v3 = new V3Endpoints(this);
        app.MapGet("/v3/option/list/expirations", ctx => V3(ctx, v3.ListExpirationsAsync));
        app.MapGet("/v3/option/list/strikes", ctx => V3(ctx, v3.ListStrikesAsync));
        app.MapGet("/v3/option/list/contracts/quote", ctx => V3(ctx, v3.ListContractsAsync));
        app.MapGet("/v3/option/list/contracts/trade", ctx => V3(ctx, v3.ListContractsAsync));
        app.MapGet("/v3/option/history/greeks/first_order", ctx => V3(ctx, v3.GreeksAsync));
    }

    private async Task V2(HttpContext ctx, Func<HttpContext, RequestFaults, Task> handler)
    {
        if (!_options.ServeV2)
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var fault = await DecideAsync(ctx).ConfigureAwait(false);
        if (_options.V2Gone || fault == ThetaFaultKind.Gone410)
        {
            if (fault == ThetaFaultKind.Gone410)
            {
                Stats.CountDelivered(ThetaFaultKind.Gone410);
            }

            ctx.Response.StatusCode = StatusCodes.Status410Gone;
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("v2 endpoints are gone; use the v3 REST endpoints on port 25503.", ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (StatusFor(fault) is { } status)
        {
            Stats.CountDelivered(fault!.Value);
            await WriteV2ErrorAsync(ctx, status.Code, status.Type, status.Message).ConfigureAwait(false);
            return;
        }

        try
        {
            await handler(ctx, new RequestFaults(fault, Seq(ctx))).ConfigureAwait(false);
        }
        catch (SimRequestException e)
        {
            await WriteV2ErrorAsync(ctx, e.Status, e.ErrorType, e.Message).ConfigureAwait(false);
        }
    }

    private async Task V3(HttpContext ctx, Func<HttpContext, RequestFaults, Task> handler)
    {
        if (!_options.ServeV3)
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var fault = await DecideAsync(ctx).ConfigureAwait(false);
        if (fault == ThetaFaultKind.Gone410)
        {
            fault = null;
        }

        if (StatusFor(fault) is { } status)
        {
            Stats.CountDelivered(fault!.Value);
            await WritePlainErrorAsync(ctx, status.Code, status.Message).ConfigureAwait(false);
            return;
        }

        try
        {
            await handler(ctx, new RequestFaults(fault, Seq(ctx))).ConfigureAwait(false);
        }
        catch (SimRequestException e)
        {
            await WritePlainErrorAsync(ctx, e.Status, e.Message).ConfigureAwait(false);
        }
    }

    private static long Seq(HttpContext ctx) => ctx.Items["seq"] is long s ? s : 0;

    private async Task<ThetaFaultKind?> DecideAsync(HttpContext ctx)
    {
        var seq = Interlocked.Increment(ref _requestSequence);
        ctx.Items["seq"] = seq;
        var key = ctx.Request.Path.Value + ctx.Request.QueryString.Value;
        var fault = _faults.Decide(seq, key);
        if (fault is { } kind)
        {
            Stats.CountFault(kind);
            if (kind == ThetaFaultKind.SlowFirstByte)
            {
                Stats.CountDelivered(kind);
                await Task.Delay(TimeSpan.FromMilliseconds(300), ctx.RequestAborted).ConfigureAwait(false);
            }
        }

        return fault;
    }

    private static (int Code, string Type, string Message)? StatusFor(ThetaFaultKind? fault) => fault switch
    {
        ThetaFaultKind.RateLimit429 => (429, "OS_LIMIT", "The operating system is throttling your requests."),
        ThetaFaultKind.Disconnected474 => (474, "DISCONNECTED", "Connection has been lost to Theta Data MDDS."),
        ThetaFaultKind.ServerStarting571 => (571, "SERVER_STARTING", "The server is forcibly and intentionally restarting."),
        ThetaFaultKind.LargeRequest570 => (570, "LARGE_REQUEST", "The request asking for too much data."),
        ThetaFaultKind.ServerError500 => (500, "UNCAUGHT_ERROR", "Internal server error."),
        _ => null,
    };

    internal static async Task WriteV2ErrorAsync(HttpContext ctx, int status, string errorType, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        if (status == 429)
        {
            ctx.Response.Headers.RetryAfter = "1";
        }

        await using var json = new Utf8JsonWriter(ctx.Response.BodyWriter);
        json.WriteStartObject();
        WriteV2Header(json, Seq(ctx), errorType, message, null, null);
        json.WriteStartArray("response");
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    internal static async Task WritePlainErrorAsync(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/plain";
        if (status == 429)
        {
            ctx.Response.Headers.RetryAfter = "1";
        }

        await ctx.Response.WriteAsync(message, ctx.RequestAborted).ConfigureAwait(false);
    }

    internal static void WriteV2Header(Utf8JsonWriter json, long id, string? errorType, string? errorMessage, string? nextPage, IReadOnlyList<string>? format)
    {
        json.WriteStartObject("header");
        json.WriteNumber("id", id);
        json.WriteNumber("latency_ms", 1);
        json.WriteString("error_type", errorType ?? "null");
        json.WriteString("error_msg", errorMessage ?? "null");
        json.WriteString("next_page", nextPage ?? "null");
        if (format is null)
        {
            json.WriteNull("format");
        }
        else
        {
            json.WriteStartArray("format");
            foreach (var f in format)
            {
                json.WriteStringValue(f);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    internal static int ToYmd(DateOnly d) => (d.Year * 10000) + (d.Month * 100) + d.Day;

    internal static bool TryParseDate(string? text, out DateOnly date)
    {
        date = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        return DateOnly.TryParseExact(text, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date)
            || DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }
}

/// <summary>A request the simulator refuses with a status code (472 no data, 473 bad parameters, ...).</summary>
internal sealed class SimRequestException(int status, string errorType, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string ErrorType { get; } = errorType;

    public static SimRequestException NoData(string what) => new(472, "NO_DATA", $"No data for the specified timeframe & contract: {what}.");

    public static SimRequestException BadParams(string what) => new(473, "INVALID_PARAMS", what);
}

/// <summary>The body fault picked for one request, if any, and the request's sequence number.</summary>
internal readonly record struct RequestFaults(ThetaFaultKind? Kind, long Sequence)
{
    public bool Cut => Kind is ThetaFaultKind.ResetMidBody or ThetaFaultKind.TruncatedJson;

    public bool Malformed => Kind == ThetaFaultKind.MalformedRows;
}

/// <summary>Seeded per-request fault choice: reproducible from the fault seed, the request number and the URL.</summary>
internal sealed class ThetaFaultInjector(ThetaFaultOptions options)
{
    public ThetaFaultKind? Decide(long sequence, string requestKey)
    {
        if (options.Probability <= 0 || options.Kinds.Count == 0)
        {
            return null;
        }

        var h = SimRandom.Hash(options.Seed, sequence, (long)SimRandom.HashString(requestKey));
        if (SimRandom.Fraction(h) >= options.Probability)
        {
            return null;
        }

        return options.Kinds[(int)(SimRandom.Mix(h) % (ulong)options.Kinds.Count)];
    }
}
