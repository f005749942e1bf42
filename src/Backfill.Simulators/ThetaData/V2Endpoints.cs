using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Backfill.Simulators.ThetaData;

/// <summary>One bulk greeks query: a root and expiration over a range of trade dates at an interval.</summary>
internal sealed record GreeksQuery(string Root, DateOnly Expiration, DateOnly StartDate, DateOnly EndDate, int IntervalMs)
{
    public int PointsPerDay => ((OptionMarket.CloseMs - OptionMarket.OpenMs) / IntervalMs) + 1;

    /// <summary>The (date, contract) blocks the response holds, in order.</summary>
    public List<(DateOnly Date, SimContract Contract)> Units(OptionMarket market)
    {
        var units = new List<(DateOnly, SimContract)>();
        for (var d = StartDate; d <= EndDate; d = d.AddDays(1))
        {
            foreach (var c in market.Contracts(Root, Expiration, d))
            {
                units.Add((d, c));
            }
        }

        return units;
    }
}

/// <summary>Pages waiting to be fetched: a cursor into a deterministic response, so nothing is held but the cursor.</summary>
internal sealed class V2PageRegistry
{
    private readonly ConcurrentDictionary<long, (GreeksQuery Query, int Unit, int Tick)> _pages = new();
    private long _next = 1000;

    public long Add(GreeksQuery query, int unit, int tick)
    {
        // Page ids are not consecutive on the real terminal either.
        var id = Interlocked.Add(ref _next, 7);
        _pages[id] = (query, unit, tick);
        return id;
    }

    public bool TryTake(long id, out (GreeksQuery Query, int Unit, int Tick) page) => _pages.TryRemove(id, out page);
}

internal sealed class V2Endpoints(ThetaDataSimulator sim)
{
    public static readonly string[] GreeksFormat =
    [
        "ms_of_day", "bid", "ask", "delta", "theta", "vega", "rho", "epsilon", "lambda", "implied_vol", "iv_error",
        "ms_of_day2", "underlying_price", "date",
    ];

    private static readonly int[] MalformedAt = [3, 10, 20, 30];

    public Task ListRootsAsync(HttpContext ctx, RequestFaults faults) =>
        WriteListAsync(ctx, faults, "root", OptionMarket.ListedRoots, static (w, r) => w.WriteStringValue(r));

    public Task ListExpirationsAsync(HttpContext ctx, RequestFaults faults)
    {
        var root = RequireRoot(ctx);
        return WriteListAsync(ctx, faults, "date", sim.Market.AllExpirations(root), static (w, d) => w.WriteNumberValue(ThetaDataSimulator.ToYmd(d)));
    }

    public Task ListStrikesAsync(HttpContext ctx, RequestFaults faults)
    {
        var root = RequireRoot(ctx);
        var exp = RequireDate(ctx, "exp");
        var dates = sim.Market.TradedDates(root, exp);
        if (dates.Count == 0)
        {
            throw SimRequestException.NoData($"{root} {exp:yyyyMMdd}");
        }

        // Strikes as listed on the last traded date so far.
        var strikes = sim.Market.Strikes(root, exp, dates[^1]);
        return WriteListAsync(ctx, faults, "strike", strikes, static (w, k) => w.WriteNumberValue(k));
    }

    public Task ListDatesAsync(HttpContext ctx, RequestFaults faults)
    {
        var root = RequireRoot(ctx);
        var exp = RequireDate(ctx, "exp");
        var dates = sim.Market.TradedDates(root, exp);
        if (dates.Count == 0)
        {
            throw SimRequestException.NoData($"{root} {exp:yyyyMMdd}");
        }

        return WriteListAsync(ctx, faults, "date", dates, static (w, d) => w.WriteNumberValue(ThetaDataSimulator.ToYmd(d)));
    }

    /// <summary>
    /// <c>/v2/list/contracts/option/{trade|quote}?start_date=&amp;root=R1,R2</c>: rows <c>[root, expiration, strike, right]</c>
    /// of every contract quoted on the date (the simulator trades what it quotes, so both lists are the same).
    /// </summary>
    public Task ListContractsAsync(HttpContext ctx, RequestFaults faults)
    {
        if (!sim.Options.ContractListing)
        {
            throw new SimRequestException(471, "PERMISSION", "Your subscription does not include contract listings.");
        }

        var date = RequireDate(ctx, "start_date");
        var rootText = ctx.Request.Query["root"].ToString();
        var roots = rootText.Length == 0 ? OptionMarket.Roots : rootText.ToUpperInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var contracts = sim.Market.QuotedContracts(roots, date).ToList();
        if (contracts.Count == 0)
        {
            throw SimRequestException.NoData($"contracts of {string.Join(",", roots)} on {date:yyyyMMdd}");
        }

        return WriteListAsync(ctx, faults, ["root", "expiration", "strike", "right"], contracts, static (w, c) =>
        {
            w.WriteStartArray();
            w.WriteStringValue(c.Root);
            w.WriteNumberValue(ThetaDataSimulator.ToYmd(c.Expiration));
            w.WriteNumberValue(c.StrikeMilli);
            w.WriteStringValue(c.Right == 'C' ? "C" : "P");
            w.WriteEndArray();
        });
    }

    public Task BulkGreeksAsync(HttpContext ctx, RequestFaults faults)
    {
        var root = RequireRoot(ctx);
        var exp = RequireDate(ctx, "exp");
        var start = RequireDate(ctx, "start_date");
        var end = RequireDate(ctx, "end_date");
        if (end < start)
        {
            throw SimRequestException.BadParams("end_date is before start_date.");
        }

        if (end.DayNumber - start.DayNumber > 31)
        {
            throw new SimRequestException(570, "LARGE_REQUEST", "Request at most one month of interval data at a time.");
        }

        var ivlText = ctx.Request.Query["ivl"].ToString();
        if (!int.TryParse(ivlText, out var ivl) || ivl <= 0)
        {
            throw SimRequestException.BadParams("The simulator serves interval data only: set ivl to a multiple of 60000.");
        }

        if (ivl % 60_000 != 0 || ivl > 3_600_000)
        {
            throw SimRequestException.BadParams($"ivl {ivl} is not supported; use a multiple of 60000 up to 3600000.");
        }

        var query = new GreeksQuery(root, exp, start, end, ivl);
        var units = query.Units(sim.Market);
        if (units.Count == 0)
        {
            throw SimRequestException.NoData($"{root} {exp:yyyyMMdd} on {start:yyyyMMdd}..{end:yyyyMMdd}");
        }

        return WriteGreeksPageAsync(ctx, faults, query, units, 0, 0);
    }

    public Task PageAsync(HttpContext ctx, RequestFaults faults)
    {
        var idText = ctx.Request.RouteValues["id"]?.ToString();
        if (!long.TryParse(idText, out var id) || !sim.Pages.TryTake(id, out var page))
        {
            throw new SimRequestException(477, "NO_PAGE_FOUND", $"Page {idText} does not exist or expired.");
        }

        return WriteGreeksPageAsync(ctx, faults, page.Query, page.Query.Units(sim.Market), page.Unit, page.Tick);
    }

    private async Task WriteGreeksPageAsync(
        HttpContext ctx, RequestFaults faults, GreeksQuery query, List<(DateOnly Date, SimContract Contract)> units, int startUnit, int startTick)
    {
        var points = query.PointsPerDay;
        var limit = sim.Options.TickLimit;

        // Where this page ends: whole contracts while they fit, else a tick boundary.
        var endUnit = startUnit;
        var endTick = startTick;
        var budget = limit;
        while (endUnit < units.Count && budget > 0)
        {
            var left = points - endTick;
            if (left <= budget)
            {
                budget -= left;
                endUnit++;
                endTick = 0;
            }
            else if (endUnit == startUnit && endTick == startTick)
            {
                endTick += budget;
                budget = 0;
            }
            else
            {
                break;
            }
        }

        string? nextPage = null;
        if (endUnit < units.Count)
        {
            var id = sim.Pages.Add(query, endUnit, endTick);
            nextPage = new Uri(sim.BaseAddress, $"v2/page/{id}").AbsoluteUri;
        }

        var pageRows = ((endUnit - startUnit) * points) + endTick - startTick;
        var cutAt = faults.Cut ? Math.Max(1, pageRows / 2) : long.MaxValue;

        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentType = "application/json";
        var body = ctx.Response.BodyWriter;
        var ct = ctx.RequestAborted;
        var json = new Utf8JsonWriter(body, new JsonWriterOptions { SkipValidation = true });
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            ThetaDataSimulator.WriteV2Header(json, faults.Sequence, null, null, nextPage, GreeksFormat);
            json.WriteStartArray("response");
            long written = 0;
            var tick = default(SimTick);
            for (var u = startUnit; u <= endUnit && u < units.Count; u++)
            {
                var from = u == startUnit ? startTick : 0;
                var to = u == endUnit ? endTick : points;
                if (from >= to)
                {
                    continue;
                }

                var (date, contract) = units[u];
                var path = sim.Market.SpotPath(contract.Root, date);
                var vol = sim.Market.AtmVol(contract.Root, date);
                var ymd = ThetaDataSimulator.ToYmd(date);
                json.WriteStartObject();
                json.WriteStartObject("contract");
                json.WriteString("root", contract.Root);
                json.WriteNumber("expiration", ThetaDataSimulator.ToYmd(contract.Expiration));
                json.WriteNumber("strike", contract.StrikeMilli);
                json.WriteString("right", contract.Right == 'C' ? "C" : "P");
                json.WriteEndObject();
                json.WriteStartArray("ticks");
                for (var i = from; i < to; i++)
                {
                    if (written == cutAt)
                    {
                        await CutAsync(ctx, json, faults.Kind!.Value, written).ConfigureAwait(false);
                        return;
                    }

                    var ms = OptionMarket.OpenMs + (i * query.IntervalMs);
                    sim.Market.Tick(contract, date, ms, path[i * query.IntervalMs / 60_000], vol, ref tick);
                    written++;
                    if (faults.Malformed && Array.IndexOf(MalformedAt, (int)written) is var which and >= 0)
                    {
                        if (which == 0)
                        {
                            sim.Stats.CountDelivered(ThetaFaultKind.MalformedRows);
                        }

                        WriteMalformedRow(json, tick, ymd, which);
                    }
                    else
                    {
                        WriteRow(json, tick, ymd);
                    }
                }

                json.WriteEndArray();
                json.WriteEndObject();
                if (json.BytesPending > 32 * 1024)
                {
                    await json.FlushAsync(ct).ConfigureAwait(false);
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
            await json.FlushAsync(ct).ConfigureAwait(false);
            sim.Stats.AddRows(written);
        }
    }

    private async Task CutAsync(HttpContext ctx, Utf8JsonWriter json, ThetaFaultKind kind, long rows)
    {
        await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        sim.Stats.AddRows(rows);
        sim.Stats.CountDelivered(kind);
        if (kind == ThetaFaultKind.TruncatedJson)
        {
            // End the body in the middle of a row with a normal end of response.
            await ctx.Response.BodyWriter.WriteAsync(Encoding.ASCII.GetBytes(",[34200000,1.2"), ctx.RequestAborted).ConfigureAwait(false);
            await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        ctx.Abort();
    }

    private static void WriteRow(Utf8JsonWriter json, in SimTick t, int ymd)
    {
        json.WriteStartArray();
        json.WriteNumberValue(t.MsOfDay);
        json.WriteNumberValue(t.Bid);
        json.WriteNumberValue(t.Ask);
        json.WriteNumberValue(t.Delta);
        json.WriteNumberValue(t.Theta);
        json.WriteNumberValue(t.Vega);
        json.WriteNumberValue(t.Rho);
        json.WriteNumberValue(t.Epsilon);
        json.WriteNumberValue(t.Lambda);
        json.WriteNumberValue(t.ImpliedVol);
        json.WriteNumberValue(t.IvError);
        json.WriteNumberValue(t.MsOfDay);
        json.WriteNumberValue(t.UnderlyingPrice);
        json.WriteNumberValue(ymd);
        json.WriteEndArray();
    }

    /// <summary>Four kinds of bad row: a missing field, a string where a number belongs, bid above ask, |delta| above 1.</summary>
    private static void WriteMalformedRow(Utf8JsonWriter json, SimTick t, int ymd, int which)
    {
        switch (which)
        {
            case 0:
                json.WriteStartArray();
                json.WriteNumberValue(t.MsOfDay);
                json.WriteNumberValue(t.Bid);
                json.WriteNumberValue(t.Ask);
                json.WriteEndArray();
                return;
            case 1:
                json.WriteStartArray();
                json.WriteNumberValue(t.MsOfDay);
                json.WriteStringValue("n/a");
                for (var i = 0; i < 12; i++)
                {
                    json.WriteNumberValue(0);
                }

                json.WriteEndArray();
                return;
            case 2:
                t.Bid = t.Ask + 1;
                break;
            default:
                t.Delta = 1.5;
                break;
        }

        WriteRow(json, t, ymd);
    }

    private Task WriteListAsync<T>(HttpContext ctx, RequestFaults faults, string column, IReadOnlyList<T> items, Action<Utf8JsonWriter, T> write) =>
        WriteListAsync(ctx, faults, [column], items, write);

    private async Task WriteListAsync<T>(HttpContext ctx, RequestFaults faults, IReadOnlyList<string> columns, IReadOnlyList<T> items, Action<Utf8JsonWriter, T> write)
    {
        ctx.Response.ContentType = "application/json";
        var json = new Utf8JsonWriter(ctx.Response.BodyWriter, new JsonWriterOptions { SkipValidation = true });
        await using (json.ConfigureAwait(false))
        {
            json.WriteStartObject();
            ThetaDataSimulator.WriteV2Header(json, faults.Sequence, null, null, null, columns);
            json.WriteStartArray("response");
            var cutAt = faults.Cut ? items.Count / 2 : int.MaxValue;
            for (var i = 0; i < items.Count; i++)
            {
                if (i == cutAt)
                {
                    await CutAsync(ctx, json, faults.Kind!.Value, 0).ConfigureAwait(false);
                    return;
                }

                write(json, items[i]);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            await json.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    private static string RequireRoot(HttpContext ctx)
    {
        var root = ctx.Request.Query["root"].ToString();
        if (string.IsNullOrEmpty(root))
        {
            throw SimRequestException.BadParams("root is required.");
        }

        var upper = root.ToUpperInvariant();
        return OptionMarket.IsValidRoot(upper) ? upper : throw SimRequestException.NoData($"root {root}");
    }

    private static DateOnly RequireDate(HttpContext ctx, string name)
    {
        var text = ctx.Request.Query[name].ToString();
        return ThetaDataSimulator.TryParseDate(text, out var d) && d.Year >= 2000
            ? d
            : throw SimRequestException.BadParams($"{name} must be a date formatted as YYYYMMDD, got '{text}'.");
    }
}
