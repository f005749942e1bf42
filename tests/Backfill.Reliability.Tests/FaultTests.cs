using Backfill.Engine.Datasets.Spx.Parquet;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;
using Backfill.Storage.Verification;

namespace Backfill.Reliability.Tests;

/// <summary>
/// The engine against the simulator's fault injection, one fault kind at a time at 5 %, 20 % and 50 % of requests,
/// with the product retry table (delays scaled down). One request at a time, so the seeded faults land on the same
/// requests on every run: a pass is reproducible, not lucky. For every run: each date either succeeds with exactly
/// the reference bytes or fails only once the retry table is exhausted (a permanent kind at its first attempt), with
/// an actionable message; every failed request is in <c>error_log</c> with its type and attempt; attempts per request
/// never exceed the table across the source's and the engine's retries. Then the terminal is healthy again and the
/// failed dates are retried: every date ends byte-identical to the reference (no data lost).
/// </summary>
public sealed class FaultTests
{
    private static readonly DateOnly[] Days = [new(2024, 6, 10), new(2024, 6, 11), new(2024, 6, 12)];

    private static readonly SemaphoreSlim ReferenceGate = new(1, 1);
    private static Reference? _reference;

    /// <summary>The product table, delays scaled down a thousandfold (Retry-After included).</summary>
    private static RetryPolicyTable Product { get; } = RetryPolicyTable.Default.WithDelayScale(0.001);

    public static TheoryData<ThetaFaultKind, double> Matrix()
    {
        var data = new TheoryData<ThetaFaultKind, double>();
        foreach (var kind in Enum.GetValues<ThetaFaultKind>())
        {
            foreach (var rate in new[] { 0.05, 0.20, 0.50 })
            {
                data.Add(kind, rate);
            }
        }

        return data;
    }

    /// <summary>The error type a fault kind must be logged as; null for faults that are not errors.</summary>
    private static ErrorKind? Expected(ThetaFaultKind kind) => kind switch
    {
        ThetaFaultKind.RateLimit429 => ErrorKind.RateLimited,
        ThetaFaultKind.Disconnected474 => ErrorKind.ConnectionFailed,
        ThetaFaultKind.ServerStarting571 => ErrorKind.TerminalNotRunning,
        ThetaFaultKind.LargeRequest570 => ErrorKind.LargeRequest,
        ThetaFaultKind.ServerError500 => ErrorKind.ServerError,
        ThetaFaultKind.ResetMidBody => ErrorKind.ConnectionFailed,
        ThetaFaultKind.TruncatedJson => ErrorKind.InvalidResponse,
        ThetaFaultKind.Gone410 => ErrorKind.ApiVersionGone,
        _ => null,
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_fault_kind_at_each_rate_finishes_what_it_can_logs_every_error_and_loses_nothing(ThetaFaultKind kind, double rate)
    {
        var reference = await ReferenceAsync();
        var pct = ((int)Math.Round(rate * 100)).ToString(CultureInfo.InvariantCulture);
        await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions
        {
            Scale = 0.02,
            Faults = new ThetaFaultOptions { Probability = rate, Kinds = [kind], Seed = 11 + (int)(rate * 100) },
        }, Product);
        var outcomes = await world.RunAsync(Days);
        var injected = world.Simulator.Stats.FaultsDelivered(kind);
        Assert.True(injected > 0, $"the simulator delivered no {kind} fault at {pct} %");

        var errors = await world.Ledger.ListErrorsAsync("spx", null, 1_000_000, Harness.Ct);
        var requestErrors = errors.Where(e => e.ErrorType != "InvalidRow").ToList();
        var expected = Expected(kind);
        var permanent = expected is { } k && !Product.For(k).IsRetryable;

        // Every failed request is logged once, with the kind it was injected as, and a date.
        Assert.All(errors, e => Assert.NotNull(e.TradeDate));
        if (expected is null)
        {
            Assert.Empty(requestErrors);
        }
        else
        {
            Assert.All(requestErrors, e => Assert.Equal(expected.ToString(), e.ErrorType));
            Assert.True(requestErrors.Count == injected,
                $"{injected} {kind} faults were injected but error_log holds {requestErrors.Count} request errors");
        }

        // Attempts: per request (date + expiration or listing) 0, 1, 2 ... with no gap and no repeat; only the last
        // may end the request, and only when the table allows no more (at once for a permanent kind). A date that ran
        // out of attempts on a transient kind gets one second pass after a cool-down: its requests start again at 0.
        foreach (var request in requestErrors.GroupBy(e => (e.TradeDate, e.SubUnit)))
        {
            var passes = Passes(request.OrderBy(e => e.Id).ToList());
            Assert.True(passes.Count <= 2, $"{request.Key}: {passes.Count} passes, at most a second one is allowed");
            foreach (var attempts in passes)
            {
                for (var i = 0; i < attempts.Count; i++)
                {
                    var e = attempts[i];
                    var policy = Product.For(Enum.Parse<ErrorKind>(e.ErrorType));
                    Assert.True(e.Attempt == i, $"{request.Key}: attempt {e.Attempt} logged as the {i}th failure");
                    Assert.True(e.Attempt < policy.MaxAttempts, $"{request.Key}: attempt {e.Attempt} exceeds the table's {policy.MaxAttempts}");
                    Assert.True(e.WillRetry == policy.AllowsRetryAfterAttempt(e.Attempt),
                        $"{request.Key}: attempt {e.Attempt} of {e.ErrorType} will_retry={e.WillRetry}, the table says {policy.AllowsRetryAfterAttempt(e.Attempt)}");
                    if (i < attempts.Count - 1)
                    {
                        Assert.True(e.WillRetry, $"{request.Key}: attempt {e.Attempt} was not retried but attempt {attempts[i + 1].Attempt} followed");
                    }
                }
            }

            if (permanent)
            {
                Assert.Single(Assert.Single(passes));
            }
        }

        var verifier = new ParquetFileVerifier();
        foreach (var o in outcomes)
        {
            var finalErrors = requestErrors.Where(e => e.TradeDate == o.Date && !e.WillRetry).ToList();
            if (o.Kind == UnitOutcomeKind.Success)
            {
                // A request may have run out of attempts only in the first pass, on a transient kind: the second pass
                // after the cool-down finished the date.
                // The contract listing may fail for good (the date is then planned from the expiration lists).
                var ended = finalErrors.Where(e => e.SubUnit != "contracts").ToList();
                Assert.All(ended, e => Assert.True(Product.For(Enum.Parse<ErrorKind>(e.ErrorType)).IsRetryable, $"{o.Date}: {e.ErrorType} ended a request"));
                Assert.True(ended.Count <= 1, $"{o.Date}: {ended.Count} requests ran out of attempts (one request at a time: one ends a pass)");
                var file = world.OutputFile(o.Date);
                Assert.True((await verifier.VerifyAsync(file, o.FileSha256, o.Rows, SpxContentChecksum.OfFile, Harness.Ct)).IsOk);
                if (kind == ThetaFaultKind.MalformedRows)
                {
                    // Bad rows are the vendor's loss, not ours: every one is counted, the rest is kept.
                    Assert.Equal(reference.Rows[o.Date], o.Rows + o.RejectedRows);
                }
                else
                {
                    Assert.True(reference.Sha[o.Date] == o.FileSha256, $"{o.Date}: the file differs from the fault-free reference");
                }
            }
            else
            {
                Assert.True(o.Kind == UnitOutcomeKind.Failed, $"{o.Date}: {o.Kind} {o.Message}");
                Assert.NotNull(expected);
                Assert.Equal(expected.ToString(), o.ErrorType);
                // The request that ended the date ran out of the table in its last pass (a transient kind had two).
                var ending = finalErrors.Where(e => e.SubUnit != "contracts" || e.ErrorType == nameof(ErrorKind.ApiVersionGone)).ToList();
                var last = ending.OrderBy(e => e.Id).Last();
                Assert.True(ending.Count <= (permanent ? 1 : 2), $"{o.Date}: {ending.Count} requests ended");
                Assert.Equal(Product.For(expected.Value).MaxAttempts, last.Attempt + 1);
                Assert.True(o.Message.Contains("backfill retry", StringComparison.Ordinal) || o.Message.Contains("thetadata.apiVersion", StringComparison.Ordinal),
                    $"{o.Date}: the message says nothing to do: {o.Message}");
                Assert.False(File.Exists(world.OutputFile(o.Date)), $"{o.Date} failed but has a file");
                var unit = (await world.Ledger.GetUnitAsync("spx", o.Date, Harness.Ct))!;
                Assert.Equal(UnitStatus.Failed, unit.Status);
                Assert.Equal(o.Message, unit.LastErrorMessage);
            }
        }

        var okInRun = outcomes.Count(o => o.Kind == UnitOutcomeKind.Success);
        if (expected is null)
        {
            // Slow answers and bad rows are no reason to fail a date.
            Assert.Equal(Days.Length, okInRun);
        }

        var requests = world.Simulator.Stats.TotalRequests;

        // The terminal is healthy again: the failed dates are retried and every date ends exactly as the reference.
        await world.ReplaceSimulatorAsync(new ThetaDataSimulatorOptions { Scale = 0.02 });
        var healed = await world.RunAsync(Days);
        Assert.All(healed, o => Assert.True(o.Kind is UnitOutcomeKind.Success or UnitOutcomeKind.Skipped, $"{o.Date}: {o.Kind} {o.Message}"));
        foreach (var day in Days)
        {
            var unit = (await world.Ledger.GetUnitAsync("spx", day, Harness.Ct))!;
            Assert.Equal(UnitStatus.Success, unit.Status);
            if (kind != ThetaFaultKind.MalformedRows || outcomes.Single(o => o.Date == day).Kind != UnitOutcomeKind.Success)
            {
                Assert.Equal(reference.Sha[day], unit.FileSha256);
            }

            Assert.Equal(unit.FileSha256, await Harness.Sha256Async(world.OutputFile(day)));
        }

        var key = $"faults.{kind}.{pct}pct";
        Report.Add($"{key}.requests", requests);
        Report.Add($"{key}.injected", injected);
        Report.Add($"{key}.errors-logged", errors.Count);
        Report.Add($"{key}.dates-ok-in-run", okInRun);
        Report.Add($"{key}.dates-failed-in-run", outcomes.Count - okInRun);
        Report.Add($"{key}.dates-ok-after-retry", Days.Length);
    }

    /// <summary>A request's logged attempts split into passes: each pass starts again at attempt 0.</summary>
    private static List<List<ErrorRecord>> Passes(List<ErrorRecord> attempts)
    {
        var passes = new List<List<ErrorRecord>>();
        foreach (var e in attempts)
        {
            if (e.Attempt == 0 || passes.Count == 0)
            {
                passes.Add([]);
            }

            passes[^1].Add(e);
        }

        return passes;
    }

    /// <summary>
    /// The PRD's success target (above 99 %): 20 dates with 5 % of requests answered 500 all succeed in one run, thanks
    /// to the PRD's three attempts per request and the second pass a date gets after a cool-down.
    /// </summary>
    /// <param name="contractListing">Planned from the contract listing (about 6 requests a date here, the listing faults
    /// too) or from the expiration lists (about 50 requests a date, as the PRD's measurement was made).</param>
    [Theory]
    [InlineData(false, 20)]
    [InlineData(true, 2)]
    public async Task Twenty_dates_with_five_percent_server_errors_all_succeed_in_one_run(bool contractListing, int minimumFaults)
    {
        await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions
        {
            Scale = 0.05,
            Faults = new ThetaFaultOptions { Probability = 0.05, Kinds = [ThetaFaultKind.ServerError500], Seed = 20 },
        }, Product);
        world.Spx = new Engine.Datasets.Spx.SpxOptions { MaxConcurrentSubUnits = 1, ContractListing = contractListing };
        var dates = Core.Calendars.NyseCalendar.Instance.SessionsBetween(new DateOnly(2024, 6, 3), new DateOnly(2024, 7, 1)).Take(20).ToList();
        Assert.Equal(20, dates.Count);
        var outcomes = await world.RunAsync(dates);
        Assert.True(world.Simulator.Stats.FaultsDelivered(ThetaFaultKind.ServerError500) > minimumFaults, "too few server errors were injected to prove anything");
        Assert.All(outcomes, o => Assert.True(o.Kind == UnitOutcomeKind.Success, $"{o.Date}: {o.Kind} {o.Message}"));
        var plan = contractListing ? "listing" : "expiration-lists";
        Report.Add($"faults.ServerError500.5pct.20-dates.{plan}.requests", world.Simulator.Stats.TotalRequests);
        Report.Add($"faults.ServerError500.5pct.20-dates.{plan}.injected", world.Simulator.Stats.FaultsDelivered(ThetaFaultKind.ServerError500));
    }

    /// <summary>Every transient kind mixed, half the requests failing: with more attempts every date finishes.</summary>
    [Fact]
    public async Task Half_of_all_requests_failing_with_mixed_transient_faults_still_finishes_every_date_with_enough_attempts()
    {
        var reference = await ReferenceAsync();
        var table = Product;
        foreach (var kind in new[] { ErrorKind.RateLimited, ErrorKind.ConnectionFailed, ErrorKind.TerminalNotRunning, ErrorKind.ServerError, ErrorKind.InvalidResponse })
        {
            table = table.With(kind, RetryPolicyTable.Default.For(kind) with { MaxAttempts = 12 });
        }

        ThetaFaultKind[] kinds =
        [
            ThetaFaultKind.RateLimit429, ThetaFaultKind.Disconnected474, ThetaFaultKind.ServerStarting571, ThetaFaultKind.ServerError500,
            ThetaFaultKind.SlowFirstByte, ThetaFaultKind.ResetMidBody, ThetaFaultKind.TruncatedJson,
        ];
        await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions
        {
            Scale = 0.02,
            Faults = new ThetaFaultOptions { Probability = 0.5, Kinds = kinds, Seed = 3 },
        }, table);
        var outcomes = await world.RunAsync(Days);
        Assert.All(outcomes, o => Assert.True(o.Kind == UnitOutcomeKind.Success, $"{o.Date}: {o.Kind} {o.ErrorType} {o.Message}"));
        foreach (var o in outcomes)
        {
            Assert.Equal(reference.Sha[o.Date], o.FileSha256);
        }

        var errors = await world.Ledger.ListErrorsAsync("spx", null, 1_000_000, Harness.Ct);
        var injected = world.Simulator.Stats.FaultsDeliveredPerKind.Where(kv => kv.Key != ThetaFaultKind.SlowFirstByte).Sum(kv => kv.Value);
        Assert.True(errors.Count == injected, $"{injected} failed requests were injected, error_log holds {errors.Count}");
        Assert.All(errors, e => Assert.True(e.WillRetry && e.Attempt < 12, $"{e.ErrorType} attempt {e.Attempt} will_retry={e.WillRetry}"));
        Report.Add("faults.mixed.50pct.requests", world.Simulator.Stats.TotalRequests);
        Report.Add("faults.mixed.50pct.injected", world.Simulator.Stats.FaultsDeliveredPerKind.Sum(kv => kv.Value));
        Report.Add("faults.mixed.50pct.errors-logged", errors.Count);
        Report.Add("faults.mixed.50pct.dates-ok-in-run", outcomes.Count);
    }

    private static async Task<Reference> ReferenceAsync()
    {
        await ReferenceGate.WaitAsync(Harness.Ct);
        try
        {
            if (_reference is null)
            {
                await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, Product);
                var outcomes = await world.RunAsync(Days);
                Assert.All(outcomes, o => Assert.Equal(UnitOutcomeKind.Success, o.Kind));
                _reference = new Reference(outcomes.ToDictionary(o => o.Date, o => o.FileSha256!), outcomes.ToDictionary(o => o.Date, o => o.Rows));
            }

            return _reference;
        }
        finally
        {
            ReferenceGate.Release();
        }
    }

    private sealed record Reference(Dictionary<DateOnly, string> Sha, Dictionary<DateOnly, long> Rows);
}
