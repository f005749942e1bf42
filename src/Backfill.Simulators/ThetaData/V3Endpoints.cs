using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Backfill.Simulators.ThetaData;

/// <summary>
/// The v3 endpoints: <c>symbol</c>/<c>expiration</c> parameters, strikes in dollars, rights as CALL/PUT,
/// ISO timestamps, formats csv (default), json and ndjson, no paging, errors as plain text.
/// </summary>
internal sealed class V3Endpoints(ThetaDataSimulator sim)
{
    private const string CsvHeader =
        "symbol,expiration,strike,right,timestamp,bid,ask,delta,theta,vega,rho,epsilon,lambda,implied_vol,iv_error,underlying_timestamp,underlying_price";

    public async Task ListExpirationsAsync(HttpContext ctx, RequestFaults faults)
    {
        var symbol = RequireSymbol(ctx);
        var format = Format(ctx);
        var items = sim.Market.AllExpirations(symbol);
        await WriteListAsync(ctx, format, "expiration", symbol, items.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToList(), quoted: true).ConfigureAwait(false);
    }

    public async Task ListStrikesAsync(HttpContext ctx, RequestFaults faults)
    {
        var symbol = RequireSymbol(ctx);
        var exp = RequireDate(ctx, "expiration");
        var dates = sim.Market.TradedDates(symbol, exp);
        if (dates.Count == 0)
        {
            throw SimRequestException.NoData($"{symbol} {exp:yyyyMMdd}");
        }

        var strikes = sim.Market.Strikes(symbol, exp, dates[^1]);
        await WriteListAsync(ctx, Format(ctx), "strike", symbol, strikes.Select(k => (k / 1000.0).ToString("0.000", CultureInfo.InvariantCulture)).ToList(), quoted: false).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>/v3/option/list/contracts/{trade|quote}?date=&amp;symbol=R1,R2</c>: every contract quoted on the date as
    /// <c>symbol, expiration, strike, right</c> (the simulator trades what it quotes, so both lists are the same).
    /// </summary>
    public async Task ListContractsAsync(HttpContext ctx, RequestFaults faults)
    {
        if (!sim.Options.ContractListing)
        {
            throw new SimRequestException(471, "PERMISSION", "Your subscription does not include contract listings.");
        }

        var date = RequireDate(ctx, "date");
        var symbolText = ctx.Request.Query["symbol"].ToString();
        var symbols = symbolText.Length == 0 ? OptionMarket.Roots : symbolText.ToUpperInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var contracts = sim.Market.QuotedContracts(symbols, date).ToList();
        if (contracts.Count == 0)
        {
            throw SimRequestException.NoData($"contracts of {string.Join(",", symbols)} on {date:yyyyMMdd}");
        }

        var inv = CultureInfo.InvariantCulture;
        await WriteRowsAsync(ctx, Format(ctx), "symbol,expiration,strike,right", contracts,
            c => string.Create(inv, $"{c.Root},{c.Expiration:yyyy-MM-dd},{c.StrikeMilli / 1000.0:0.000},{(c.Right == 'C' ? "CALL" : "PUT")}"),
            (json, c) =>
            {
                json.WriteString("symbol", c.Root);
                json.WriteString("expiration", c.Expiration.ToString("yyyy-MM-dd", inv));
                json.WriteNumber("strike", c.StrikeMilli / 1000.0);
                json.WriteString("right", c.Right == 'C' ? "CALL" : "PUT");
            }).ConfigureAwait(false);
    }

    public async Task GreeksAsync(HttpContext ctx, RequestFaults faults)
    {
        var symbol = RequireSymbol(ctx);
        var expText = ctx.Request.Query["expiration"].ToString();
        if (expText == "*")
        {
            throw SimRequestException.BadParams("expiration=* is not supported on this endpoint.");
        }

        var exp = RequireDate(ctx, "expiration");
        DateOnly start, end;
        if (ctx.Request.Query.ContainsKey("date"))
        {
            start = end = RequireDate(ctx, "date");
        }
        else
        {
            start = RequireDate(ctx, "start_date");
            end = RequireDate(ctx, "end_date");
        }

        if (end < start || end.DayNumber - start.DayNumber > 31)
        {
            throw SimRequestException.BadParams("The date range must be ascending and at most one month.");
        }

        var intervalMs = ctx.Request.Query["interval"].ToString() switch
        {
            "" or "1m" => 60_000,
            "5m" => 300_000,
            "10m" => 600_000,
            "15m" => 900_000,
            "30m" => 1_800_000,
            "1h" => 3_600_000,
            var other => throw SimRequestException.BadParams($"interval '{other}' is not supported by the simulator."),
        };
        var right = ctx.Request.Query["right"].ToString() switch
        {
            "" or "both" => '*',
            "call" => 'C',
            "put" => 'P',
            var other => throw SimRequestException.BadParams($"right '{other}' must be call, put or both."),
        };
        var strikeText = ctx.Request.Query["strike"].ToString();
        int? strikeMilli = strikeText is "" or "*"
            ? null
            : decimal.TryParse(strikeText, NumberStyles.Number, CultureInfo.InvariantCulture, out var k)
                ? (int)(k * 1000)
                : throw SimRequestException.BadParams($"strike '{strikeText}' must be dollars or *.");
        var query = new GreeksQuery(symbol, exp, start, end, intervalMs);
        var units = query.Units(sim.Market).Where(u => (right == '*' || u.Contract.Right == right)
            && (strikeMilli is null || u.Contract.StrikeMilli == strikeMilli)).ToList();
        if (units.Count == 0)
        {
            throw SimRequestException.NoData($"{symbol} {exp:yyyyMMdd} on {start:yyyyMMdd}..{end:yyyyMMdd}");
        }

        var format = Format(ctx);
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentType = format == "csv" ? "text/csv" : "application/json";
        var json = new Utf8JsonWriter(ctx.Response.BodyWriter, new JsonWriterOptions { SkipValidation = true });
        await using (json.ConfigureAwait(false))
        {
            var csv = format == "csv" ? new StringBuilder(64 * 1024) : null;
            if (format == "json")
            {
                json.WriteStartObject();
                json.WriteStartArray("response");
            }
            else if (csv is not null)
            {
                csv.Append(CsvHeader).Append('\n');
            }

            var tick = default(SimTick);
            var points = query.PointsPerDay;
            long written = 0;
            var cutAt = faults.Cut ? Math.Max(1, units.Count * points / 2) : long.MaxValue;
            foreach (var (date, contract) in units)
            {
                var path = sim.Market.SpotPath(contract.Root, date);
                var vol = sim.Market.AtmVol(contract.Root, date);
                var expiration = contract.Expiration.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var rightName = contract.Right == 'C' ? "CALL" : "PUT";
                var strike = contract.StrikeMilli / 1000.0;
                if (format == "json")
                {
                    json.WriteStartObject();
                    json.WriteStartObject("contract");
                    json.WriteString("symbol", contract.Root);
                    json.WriteNumber("strike", strike);
                    json.WriteString("right", rightName);
                    json.WriteString("expiration", expiration);
                    json.WriteEndObject();
                    json.WriteStartArray("data");
                }

                for (var i = 0; i < points; i++)
                {
                    if (written == cutAt)
                    {
                        sim.Stats.CountDelivered(faults.Kind!.Value);
                        await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                        if (faults.Kind == ThetaFaultKind.TruncatedJson)
                        {
                            await ctx.Response.BodyWriter.WriteAsync(Encoding.ASCII.GetBytes("{\"bid\":1.2"), ctx.RequestAborted).ConfigureAwait(false);
                            return;
                        }

                        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                        ctx.Abort();
                        return;
                    }

                    var ms = OptionMarket.OpenMs + (i * intervalMs);
                    sim.Market.Tick(contract, date, ms, path[i * intervalMs / 60_000], vol, ref tick);
                    written++;
                    if (faults.Malformed && written == 3)
                    {
                        sim.Stats.CountDelivered(ThetaFaultKind.MalformedRows);
                        tick.Bid = tick.Ask + 1;
                    }

                    var timestamp = date.ToDateTime(TimeOnly.FromTimeSpan(TimeSpan.FromMilliseconds(ms))).ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture);
                    if (csv is not null)
                    {
                        AppendCsv(csv, contract.Root, expiration, strike, rightName, timestamp, tick);
                        if (csv.Length > 60 * 1024)
                        {
                            await ctx.Response.WriteAsync(csv.ToString(), ctx.RequestAborted).ConfigureAwait(false);
                            csv.Clear();
                        }

                        continue;
                    }

                    json.WriteStartObject();
                    if (format == "ndjson")
                    {
                        json.WriteString("symbol", contract.Root);
                        json.WriteString("expiration", expiration);
                        json.WriteNumber("strike", strike);
                        json.WriteString("right", rightName);
                    }

                    json.WriteString("timestamp", timestamp);
                    json.WriteNumber("bid", tick.Bid);
                    json.WriteNumber("ask", tick.Ask);
                    json.WriteNumber("delta", tick.Delta);
                    json.WriteNumber("theta", tick.Theta);
                    json.WriteNumber("vega", tick.Vega);
                    json.WriteNumber("rho", tick.Rho);
                    json.WriteNumber("epsilon", tick.Epsilon);
                    json.WriteNumber("lambda", tick.Lambda);
                    json.WriteNumber("implied_vol", tick.ImpliedVol);
                    json.WriteNumber("iv_error", tick.IvError);
                    json.WriteString("underlying_timestamp", timestamp);
                    json.WriteNumber("underlying_price", tick.UnderlyingPrice);
                    json.WriteEndObject();
                    if (format == "ndjson")
                    {
                        await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                        json.Reset();
                        await ctx.Response.BodyWriter.WriteAsync("\n"u8.ToArray(), ctx.RequestAborted).ConfigureAwait(false);
                    }
                }

                if (format == "json")
                {
                    json.WriteEndArray();
                    json.WriteEndObject();
                    if (json.BytesPending > 32 * 1024)
                    {
                        await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                    }
                }
            }

            if (format == "json")
            {
                json.WriteEndArray();
                json.WriteEndObject();
            }

            await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            if (csv is { Length: > 0 })
            {
                await ctx.Response.WriteAsync(csv.ToString(), ctx.RequestAborted).ConfigureAwait(false);
            }

            sim.Stats.AddRows(written);
        }
    }

    private static void AppendCsv(StringBuilder csv, string root, string expiration, double strike, string right, string timestamp, in SimTick t)
    {
        var inv = CultureInfo.InvariantCulture;
        csv.Append(root).Append(',').Append(expiration).Append(',').Append(strike.ToString("0.000", inv)).Append(',')
            .Append(right).Append(',').Append(timestamp).Append(',')
            .Append(t.Bid.ToString(inv)).Append(',').Append(t.Ask.ToString(inv)).Append(',')
            .Append(t.Delta.ToString(inv)).Append(',').Append(t.Theta.ToString(inv)).Append(',')
            .Append(t.Vega.ToString(inv)).Append(',').Append(t.Rho.ToString(inv)).Append(',')
            .Append(t.Epsilon.ToString(inv)).Append(',').Append(t.Lambda.ToString(inv)).Append(',')
            .Append(t.ImpliedVol.ToString(inv)).Append(',').Append(t.IvError.ToString(inv)).Append(',')
            .Append(timestamp).Append(',').Append(t.UnderlyingPrice.ToString(inv)).Append('\n');
    }

    private static Task WriteListAsync(HttpContext ctx, string format, string column, string symbol, IReadOnlyList<string> values, bool quoted) =>
        WriteRowsAsync(ctx, format, "symbol," + column, values, v => symbol + "," + v, (json, v) =>
        {
            json.WriteString("symbol", symbol);
            if (quoted)
            {
                json.WriteString(column, v);
            }
            else
            {
                json.WritePropertyName(column);
                json.WriteRawValue(v);
            }
        });

    /// <summary>A list answer in the requested format: CSV with a header, a JSON <c>response</c> array, or NDJSON objects.</summary>
    private static async Task WriteRowsAsync<T>(
        HttpContext ctx, string format, string csvHeader, IReadOnlyList<T> items, Func<T, string> csvLine, Action<Utf8JsonWriter, T> writeFields)
    {
        if (format == "csv")
        {
            ctx.Response.ContentType = "text/csv";
            var sb = new StringBuilder(csvHeader).Append('\n');
            foreach (var item in items)
            {
                sb.Append(csvLine(item)).Append('\n');
            }

            await ctx.Response.WriteAsync(sb.ToString(), ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        ctx.Response.ContentType = "application/json";
        var json = new Utf8JsonWriter(ctx.Response.BodyWriter);
        await using (json.ConfigureAwait(false))
        {
            if (format == "json")
            {
                json.WriteStartObject();
                json.WriteStartArray("response");
            }

            foreach (var item in items)
            {
                json.WriteStartObject();
                writeFields(json, item);
                json.WriteEndObject();
                if (format == "ndjson")
                {
                    await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                    json.Reset();
                    await ctx.Response.BodyWriter.WriteAsync("\n"u8.ToArray(), ctx.RequestAborted).ConfigureAwait(false);
                }
            }

            if (format == "json")
            {
                json.WriteEndArray();
                json.WriteEndObject();
            }

            await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    private static string Format(HttpContext ctx) => ctx.Request.Query["format"].ToString() switch
    {
        "" or "csv" => "csv",
        "json" => "json",
        "ndjson" => "ndjson",
        var other => throw SimRequestException.BadParams($"format '{other}' must be csv, json or ndjson."),
    };

    private static string RequireSymbol(HttpContext ctx)
    {
        var symbol = ctx.Request.Query["symbol"].ToString().ToUpperInvariant();
        if (symbol.Length == 0)
        {
            throw SimRequestException.BadParams("symbol is required.");
        }

        return OptionMarket.IsValidRoot(symbol) ? symbol : throw SimRequestException.NoData($"symbol {symbol}");
    }

    private static DateOnly RequireDate(HttpContext ctx, string name)
    {
        var text = ctx.Request.Query[name].ToString();
        return ThetaDataSimulator.TryParseDate(text, out var d) && d.Year >= 2000
            ? d
            : throw SimRequestException.BadParams($"{name} must be YYYYMMDD or YYYY-MM-DD, got '{text}'.");
    }
}
