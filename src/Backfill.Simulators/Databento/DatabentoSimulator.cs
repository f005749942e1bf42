using System.Globalization;
using System.Text;
using Backfill.Core.Calendars;
using Backfill.Sources.Databento.Cme;
using Backfill.Sources.Databento.Dbn;
using Backfill.Sources.Databento.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Backfill.Simulators.Databento;

/// <summary>Counters of what the simulator served.</summary>
public sealed class DatabentoSimulatorStats
{
    private long _requests;
    private long _records;
    private long _faults;

    public long Requests => Interlocked.Read(ref _requests);

    public long Records => Interlocked.Read(ref _records);

    public long Faults => Interlocked.Read(ref _faults);

    internal void AddRequest() => Interlocked.Increment(ref _requests);

    internal void AddRecords(long n) => Interlocked.Add(ref _records, n);

    internal void AddFault() => Interlocked.Increment(ref _faults);
}

/// <summary>
/// The Databento historical API on loopback, for the <c>GLBX.MDP3</c> heating-oil complex: <c>timeseries.get_range</c>
/// (POST form or GET query; schemas definition, statistics, ohlcv-1d; stype_in raw_symbol, parent <c>HO.FUT</c>/<c>OH.OPT</c>,
/// continuous <c>HO.c.0</c>) answered as DBN version 3, zstd-compressed unless <c>compression=none</c>, and
/// <c>metadata.get_cost</c>. Errors follow the real API: 401 without a key, 422 with a <c>detail</c> for bad ranges and
/// symbols, and seeded faults (429 with Retry-After, 500, 503, reset mid-body, corrupt body).
/// </summary>
public sealed class DatabentoSimulator : IAsyncDisposable
{
    public const string Dataset = "GLBX.MDP3";

    private readonly WebApplication _app;
    private readonly DatabentoSimulatorOptions _options;
    private readonly HeatingOilMarket _market;
    private readonly Random _faultRandom;

    private DatabentoSimulator(WebApplication app, DatabentoSimulatorOptions options)
    {
        _app = app;
        _options = options;
        _market = new HeatingOilMarket(options.Seed, options.StrikeStep);
        _faultRandom = new Random(options.Faults.Seed);
        BaseAddress = new Uri("http://127.0.0.1/");
    }

    public Uri BaseAddress { get; private set; }

    public DatabentoSimulatorStats Stats { get; } = new();

    public static async Task<DatabentoSimulator> StartAsync(DatabentoSimulatorOptions options, int port = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Faults.Probability is < 0 or > 1)
        {
            throw new ArgumentException("The fault probability must lie between 0 and 1.", nameof(options));
        }

        if (options.Faults.Probability > 0 && options.Faults.Kinds.Count == 0)
        {
            throw new ArgumentException("Fault probability is above zero but no fault kinds are given.", nameof(options));
        }

        var app = LoopbackHost.Create(port);
        var simulator = new DatabentoSimulator(app, options);
        app.MapMethods("/v0/timeseries.get_range", ["GET", "POST"], simulator.GetRangeAsync);
        app.MapMethods("/v0/metadata.get_cost", ["GET", "POST"], simulator.GetCostAsync);
        simulator.BaseAddress = await LoopbackHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
        return simulator;
    }

    public ValueTask DisposeAsync() => LoopbackHost.StopAsync(_app);

    private async Task GetRangeAsync(HttpContext context)
    {
        Stats.AddRequest();
        var query = await ParseAsync(context);
        if (query is null)
        {
            return;
        }

        var fault = PickFault();
        if (fault is DatabentoFaultKind.RateLimit429 or DatabentoFaultKind.ServerError500 or DatabentoFaultKind.Unavailable503)
        {
            Stats.AddFault();
            var (status, detail) = fault switch
            {
                DatabentoFaultKind.RateLimit429 => (429, "Too many requests."),
                DatabentoFaultKind.ServerError500 => (500, "Internal server error."),
                _ => (503, "The gateway is overloaded."),
            };
            if (status == 429)
            {
                context.Response.Headers.RetryAfter = "1";
            }

            await WriteErrorAsync(context, status, detail, null);
            return;
        }

        var compress = !string.Equals(query.Compression, "none", StringComparison.Ordinal);
        using var body = new MemoryStream();
        long count;
        using (var writer = new DbnWriter(body, Metadata(query), compress ? 3 : null, leaveOpen: true))
        {
            foreach (var record in Records(query))
            {
                writer.Write(record);
            }

            count = writer.RecordCount;
        }

        Stats.AddRecords(count);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        var bytes = body.GetBuffer().AsMemory(0, (int)body.Length);
        if (fault == DatabentoFaultKind.CorruptBody)
        {
            Stats.AddFault();
            await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes("<html>upstream error</html>"), context.RequestAborted);
            return;
        }

        if (fault == DatabentoFaultKind.ResetMidBody)
        {
            Stats.AddFault();
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes[..(bytes.Length / 2)], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            context.Features.Get<IHttpResponseBodyFeature>()?.Stream.Flush();
            context.Abort();
            return;
        }

        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private async Task GetCostAsync(HttpContext context)
    {
        Stats.AddRequest();
        var query = await ParseAsync(context);
        if (query is null)
        {
            return;
        }

        // A plausible price list: $0.50 per million records of definitions, $0.10 per thousand statistics/bars.
        var records = Records(query).LongCount();
        var perRecord = query.Schema == DbnSchema.Definition ? 0.0000005m : 0.0001m;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync((records * perRecord).ToString("0.########", CultureInfo.InvariantCulture), context.RequestAborted);
    }

    private async Task<Query?> ParseAsync(HttpContext context)
    {
        if (!Authorized(context.Request))
        {
            await WriteErrorAsync(context, 401, "Authentication failed.", "auth_authentication_failed");
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in context.Request.Query)
        {
            fields[key] = value.ToString();
        }

        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            foreach (var (key, value) in form)
            {
                fields[key] = value.ToString();
            }
        }

        string Field(string name) => fields.TryGetValue(name, out var v) ? v : string.Empty;
        if (Field("dataset") != Dataset)
        {
            await WriteErrorAsync(context, 422, $"Unknown dataset '{Field("dataset")}'; this simulator serves {Dataset}.", "dataset_invalid");
            return null;
        }

        if (!GetRangeRequest.TryParseSchema(Field("schema"), out var schema) || schema is not (DbnSchema.Definition or DbnSchema.Statistics or DbnSchema.Ohlcv1D))
        {
            await WriteErrorAsync(context, 422, $"Schema '{Field("schema")}' is not served; use definition, statistics or ohlcv-1d.", "schema_invalid");
            return null;
        }

        var stypeText = fields.TryGetValue("stype_in", out var s) ? s : "raw_symbol";
        if (!GetRangeRequest.TryParseSType(stypeText, out var stype) || stype is not (DbnSType.RawSymbol or DbnSType.Parent or DbnSType.Continuous))
        {
            await WriteErrorAsync(context, 422, $"stype_in '{stypeText}' is not served.", "stype_in_invalid");
            return null;
        }

        if (fields.TryGetValue("encoding", out var encoding) && encoding != "dbn")
        {
            await WriteErrorAsync(context, 422, $"Encoding '{encoding}' is not served; use dbn.", "encoding_invalid");
            return null;
        }

        if (!TryParseTime(Field("start"), out var start) || !TryParseTime(Field("end"), out var end))
        {
            await WriteErrorAsync(context, 422, "start and end must be ISO-8601 times or dates.", "datetime_invalid");
            return null;
        }

        if (start >= end)
        {
            await WriteErrorAsync(context, 422, "start cannot be on or after end.", "data_time_range_start_on_or_after_end");
            return null;
        }

        var availableEnd = _options.AvailableEnd ?? CmeEnergyCalendar.MaxDate;
        if (DateOnly.FromDateTime(end.UtcDateTime) > availableEnd || DateOnly.FromDateTime(start.UtcDateTime) < CmeEnergyCalendar.MinDate)
        {
            await WriteErrorAsync(context, 422, $"The range must lie within {CmeEnergyCalendar.MinDate:yyyy-MM-dd} .. {availableEnd:yyyy-MM-dd}.", "data_end_after_available_end");
            return null;
        }

        var symbols = Field("symbols").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (symbols.Length == 0 || symbols.Length > 2000)
        {
            await WriteErrorAsync(context, 422, "symbols must name 1 to 2000 symbols.", "symbols_invalid");
            return null;
        }

        foreach (var symbol in symbols)
        {
            var ok = stype switch
            {
                DbnSType.Parent => symbol is "HO.FUT" or "OH.OPT",
                DbnSType.Continuous => symbol == "HO.c.0",
                _ => true,
            };
            if (!ok)
            {
                await WriteErrorAsync(context, 422, $"Could not resolve smart symbols: {symbol}.", "symbology_invalid_symbol");
                return null;
            }
        }

        return new Query(schema, stype, symbols, start, end, Field("compression"));
    }

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }

        string user;
        try
        {
            var decoded = Encoding.ASCII.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            user = decoded.Split(':')[0];
        }
        catch (FormatException)
        {
            return false;
        }

        return user.Length > 0 && (_options.RequiredApiKey is null || user == _options.RequiredApiKey);
    }

    private DbnMetadata Metadata(Query query) => new()
    {
        Dataset = Dataset,
        Schema = query.Schema,
        Start = (ulong)(query.Start - DateTimeOffset.UnixEpoch).Ticks * 100,
        End = (ulong)(query.End - DateTimeOffset.UnixEpoch).Ticks * 100,
        STypeIn = query.SType,
        STypeOut = DbnSType.InstrumentId,
        Symbols = query.Symbols,
        Mappings = Mappings(query),
    };

    /// <summary>Symbology of raw and continuous queries: each requested symbol → instrument id, one interval per day.</summary>
    private List<DbnSymbolMapping> Mappings(Query query)
    {
        var list = new List<DbnSymbolMapping>();
        if (query.SType == DbnSType.Parent)
        {
            return list;
        }

        var first = DateOnly.FromDateTime(query.Start.UtcDateTime);
        var last = DateOnly.FromDateTime(query.End.UtcDateTime.AddTicks(-1));
        foreach (var symbol in query.Symbols)
        {
            var intervals = new List<DbnMappingInterval>();
            for (var date = first; date <= last; date = date.AddDays(1))
            {
                foreach (var instrument in Instruments(query with { Symbols = [symbol] }, date))
                {
                    intervals.Add(new DbnMappingInterval(date, date.AddDays(1), Id(instrument).ToString(CultureInfo.InvariantCulture)));
                }
            }

            if (intervals.Count > 0)
            {
                list.Add(new DbnSymbolMapping(symbol, intervals));
            }
        }

        return list;
    }

    /// <summary>Every record the query selects, in time order then instrument order.</summary>
    private IEnumerable<DbnRecord> Records(Query query)
    {
        var first = DateOnly.FromDateTime(query.Start.UtcDateTime);
        var last = DateOnly.FromDateTime(query.End.UtcDateTime.AddTicks(-1));
        var calendar = CmeEnergyCalendar.Instance;
        for (var date = first; date <= last; date = date.AddDays(1))
        {
            if (!calendar.IsSession(date))
            {
                continue;
            }

            foreach (var instrument in Instruments(query, date))
            {
                DbnRecord? record = query.Schema switch
                {
                    DbnSchema.Definition => Definition(instrument, date),
                    DbnSchema.Statistics => Settlement(instrument, date),
                    _ => Bar(instrument, date),
                };
                if (record is not null && InRange(record, query))
                {
                    yield return record;
                }
            }
        }
    }

    private static bool InRange(DbnRecord record, Query query)
    {
        var time = record is DbnStat stat ? stat.TsRecv : record.Header.TsEvent;
        var at = DateTimeOffset.UnixEpoch.AddTicks((long)(time / 100));
        return at >= query.Start && at < query.End;
    }

    private IEnumerable<Instrument> Instruments(Query query, DateOnly date)
    {
        var listedFutures = _market.ListedFutures(date).ToList();
        var listedOptions = _market.ListedOptionContracts(date).ToList();
        foreach (var symbol in query.Symbols)
        {
            if (query.SType == DbnSType.Continuous)
            {
                yield return Instrument.Futures(CmeEnergyContracts.FrontFutures(date));
            }
            else if (symbol == "HO.FUT")
            {
                foreach (var c in listedFutures)
                {
                    yield return Instrument.Futures(c);
                }
            }
            else if (symbol == "OH.OPT")
            {
                foreach (var c in listedOptions)
                {
                    foreach (var strike in _market.Strikes())
                    {
                        yield return Instrument.Option(c, true, strike);
                        yield return Instrument.Option(c, false, strike);
                    }
                }
            }
            else if (CmeEnergyContracts.TryParseFuturesSymbol(symbol, HeatingOilMarket.FuturesRoot, date, out var fc) && listedFutures.Contains(fc))
            {
                yield return Instrument.Futures(fc);
            }
            else if (CmeEnergyContracts.TryParseOptionSymbol(symbol, HeatingOilMarket.OptionRoot, date, out var oc, out var call, out var strike)
                     && listedOptions.Contains(oc) && _market.Strikes().Contains(strike))
            {
                yield return Instrument.Option(oc, call, strike);
            }
        }
    }

    private DbnDefinition Definition(Instrument instrument, DateOnly date)
    {
        var futures = instrument.Strike is null;
        var contract = instrument.Contract;
        var expiry = futures ? CmeEnergyContracts.FuturesLastTrade(contract) : CmeEnergyContracts.OptionLastTrade(contract);
        var id = futures ? HeatingOilMarket.FuturesId(contract) : HeatingOilMarket.OptionId(contract, instrument.Call, instrument.Strike!.Value);
        var symbol = futures
            ? CmeEnergyContracts.FuturesSymbol(HeatingOilMarket.FuturesRoot, contract)
            : CmeEnergyContracts.OptionSymbol(HeatingOilMarket.OptionRoot, contract, instrument.Call, instrument.Strike!.Value);
        return new DbnDefinition(
            new DbnRecordHeader(DbnDefinition.SizeV3, DbnRType.Definition, 1, id, HeatingOilMarket.Nanos(date)),
            TsRecv: HeatingOilMarket.Nanos(date),
            MinPriceIncrement: DbnConstants.FromDecimal(HeatingOilMarket.Tick),
            DisplayFactor: DbnConstants.FixedPriceScale,
            Expiration: HeatingOilMarket.Nanos(expiry, 18, 30),
            Activation: HeatingOilMarket.Nanos(new DateOnly(2010, 6, 6)),
            StrikePrice: futures ? DbnConstants.UndefinedPrice : DbnConstants.FromDecimal(instrument.Strike!.Value),
            UnderlyingId: futures ? 0 : HeatingOilMarket.FuturesId(contract),
            ContractMultiplier: 42_000,
            MaturityYear: (ushort)contract.Year,
            Currency: "USD",
            RawSymbol: symbol,
            Group: futures ? "HO" : "OH",
            Exchange: "XNYM",
            Asset: futures ? "HO" : "OH",
            Cfi: futures ? "FCEPSX" : instrument.Call ? "OCAFPS" : "OPAFPS",
            SecurityType: futures ? "FUT" : "OOF",
            UnitOfMeasure: "GAL",
            Underlying: futures ? string.Empty : CmeEnergyContracts.FuturesSymbol(HeatingOilMarket.FuturesRoot, contract),
            InstrumentClass: futures ? 'F' : instrument.Call ? 'C' : 'P',
            SecurityUpdateAction: 'A',
            MaturityMonth: (byte)contract.Month,
            MaturityDay: 0);
    }

    private decimal? Price(Instrument instrument, DateOnly date) => instrument.Strike is { } strike
        ? _market.OptionSettlement(instrument.Contract, instrument.Call, strike, date)
        : _market.FuturesSettlement(instrument.Contract, date);

    private DbnStat? Settlement(Instrument instrument, DateOnly date)
    {
        if (Price(instrument, date) is not { } price)
        {
            return null;
        }

        var id = Id(instrument);
        var published = HeatingOilMarket.Nanos(date, 19, 30);
        return new DbnStat(new DbnRecordHeader(DbnStat.SizeV3, DbnRType.Statistics, 1, id, published), published, HeatingOilMarket.Nanos(date),
            DbnConstants.FromDecimal(price), DbnStat.UndefinedQuantity, 0, 0, DbnStatType.SettlementPrice, 0, 1, 0);
    }

    private DbnOhlcv? Bar(Instrument instrument, DateOnly date)
    {
        var id = Id(instrument);
        var settlement = Price(instrument, date);
        if (settlement is not { } close || !_market.Traded(id, date, instrument.Strike is null ? null : close))
        {
            return null;
        }

        var spread = Math.Max(HeatingOilMarket.Tick, decimal.Round(close * 0.02m, 4));
        var open = Math.Max(HeatingOilMarket.Tick, close + ((id % 3 == 0 ? 1 : -1) * spread / 2));
        return new DbnOhlcv(new DbnRecordHeader(DbnOhlcv.Size, DbnRType.Ohlcv1D, 1, id, HeatingOilMarket.Nanos(date)),
            DbnConstants.FromDecimal(open), DbnConstants.FromDecimal(Math.Max(open, close) + spread), DbnConstants.FromDecimal(Math.Max(HeatingOilMarket.Tick, Math.Min(open, close) - spread)),
            DbnConstants.FromDecimal(close), (ulong)(10 + (id % 500)));
    }

    private static uint Id(Instrument i) => i.Strike is { } strike ? HeatingOilMarket.OptionId(i.Contract, i.Call, strike) : HeatingOilMarket.FuturesId(i.Contract);

    private DatabentoFaultKind? PickFault()
    {
        var faults = _options.Faults;
        if (faults.Probability <= 0)
        {
            return null;
        }

        lock (_faultRandom)
        {
            return _faultRandom.NextDouble() < faults.Probability ? faults.Kinds[_faultRandom.Next(faults.Kinds.Count)] : null;
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message, string? @case)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var json = @case is null
            ? $"{{\"detail\":{System.Text.Json.JsonSerializer.Serialize(message)}}}"
            : $"{{\"detail\":{{\"case\":\"{@case}\",\"message\":{System.Text.Json.JsonSerializer.Serialize(message)},\"status_code\":{status},\"docs\":null,\"payload\":null}}}}";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    private static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private sealed record Query(DbnSchema Schema, DbnSType SType, IReadOnlyList<string> Symbols, DateTimeOffset Start, DateTimeOffset End, string Compression);

    private readonly record struct Instrument(ContractMonth Contract, bool Call, decimal? Strike)
    {
        public static Instrument Futures(ContractMonth c) => new(c, false, null);

        public static Instrument Option(ContractMonth c, bool call, decimal strike) => new(c, call, strike);
    }
}
