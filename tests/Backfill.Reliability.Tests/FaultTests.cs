using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;

namespace Backfill.Reliability.Tests;

/// <summary>
/// The engine against the simulator's fault injection. One request at a time, so the seeded faults land on the same
/// requests on every run: a pass is reproducible, not lucky.
/// </summary>
public sealed class FaultTests
{
    private static readonly DateOnly[] Days = [new(2024, 6, 10), new(2024, 6, 11), new(2024, 6, 12)];

    private static readonly ThetaFaultKind[] Transient =
    [
        ThetaFaultKind.RateLimit429, ThetaFaultKind.Disconnected474, ThetaFaultKind.ServerStarting571, ThetaFaultKind.ServerError500,
        ThetaFaultKind.SlowFirstByte, ThetaFaultKind.ResetMidBody, ThetaFaultKind.TruncatedJson,
    ];

    private static readonly SemaphoreSlim ReferenceGate = new(1, 1);
    private static Dictionary<DateOnly, byte[]>? _reference;

    private static RetryPolicyTable Fast { get; } = RetryPolicyTable.Default.WithDelayScale(0.001);

    /// <summary>The product table with more attempts for every transient kind (for a terminal failing half the time).</summary>
    private static RetryPolicyTable Patient(int attempts)
    {
        var table = Fast;
        foreach (var kind in new[] { ErrorKind.RateLimited, ErrorKind.ConnectionFailed, ErrorKind.TerminalNotRunning, ErrorKind.ServerError, ErrorKind.InvalidResponse })
        {
            var p = RetryPolicyTable.Default.For(kind);
            table = table.With(kind, p with { MaxAttempts = attempts });
        }

        return table;
    }

    [Theory]
    [InlineData(0.05, 0)]
    [InlineData(0.20, 0)]
    [InlineData(0.50, 12)]
    public async Task Transient_faults_are_retried_logged_and_lose_no_data(double rate, int attempts)
    {
        var reference = await ReferenceAsync();
        var retry = attempts == 0 ? Fast : Patient(attempts);
        await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions
        {
            Scale = 0.02,
            Faults = new ThetaFaultOptions { Probability = rate, Kinds = Transient, Seed = 11 },
        }, retry);
        var outcomes = await world.RunAsync(Days);
        Assert.All(outcomes, o => Assert.True(o.Kind == UnitOutcomeKind.Success, $"{o.Date}: {o.Kind} {o.ErrorType} {o.Message}"));
        foreach (var day in Days)
        {
            Assert.Equal(reference[day], await File.ReadAllBytesAsync(world.OutputFile(day), Harness.Ct));
        }

        var errors = await world.Ledger.ListErrorsAsync("spx", null, 1_000_000, Harness.Ct);
        var injected = world.Simulator.Stats.FaultsPerKind.Where(kv => kv.Key != ThetaFaultKind.SlowFirstByte).Sum(kv => kv.Value);
        var expectedTypes = new HashSet<string>(StringComparer.Ordinal)
        {
            nameof(ErrorKind.RateLimited), nameof(ErrorKind.ConnectionFailed), nameof(ErrorKind.TerminalNotRunning),
            nameof(ErrorKind.ServerError), nameof(ErrorKind.InvalidResponse),
        };
        Assert.All(errors, e =>
        {
            Assert.Contains(e.ErrorType, expectedTypes);
            Assert.True(e.Attempt >= 0 && e.Attempt < Math.Max(attempts, 5), $"attempt {e.Attempt}");
            Assert.True(e.WillRetry, $"{e.ErrorType} attempt {e.Attempt} was not retried: {e.Message}");
            Assert.NotNull(e.TradeDate);
        });
        Assert.True(injected > 0, "the simulator injected no fault");
        Assert.True(errors.Count == injected,
            $"{injected} failed requests were injected but the error log holds {errors.Count} retried errors: " +
            string.Join(", ", world.Simulator.Stats.FaultsPerKind.Select(kv => $"{kv.Key}={kv.Value}")) + " vs " +
            string.Join(", ", errors.GroupBy(e => e.ErrorType).Select(g => $"{g.Key}={g.Count()}")));
        var key = ((int)(rate * 100)).ToString(CultureInfo.InvariantCulture);
        Report.Add($"faults.{key}pct.requests", world.Simulator.Stats.TotalRequests);
        Report.Add($"faults.{key}pct.injected", injected + world.Simulator.Stats.Faults(ThetaFaultKind.SlowFirstByte));
        Report.Add($"faults.{key}pct.errors-logged", errors.Count);
        Report.Add($"faults.{key}pct.dates-ok", outcomes.Count(o => o.Kind == UnitOutcomeKind.Success));
    }

    [Fact]
    public async Task Large_request_is_never_retried_fails_only_its_dates_and_says_why()
    {
        DateOnly[] days = [new(2024, 6, 10), new(2024, 6, 11), new(2024, 6, 12), new(2024, 6, 13), new(2024, 6, 14)];
        await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions
        {
            Scale = 0.02,
            Faults = new ThetaFaultOptions { Probability = 0.01, Kinds = [ThetaFaultKind.LargeRequest570], Seed = 5 },
        }, Fast);
        var outcomes = await world.RunAsync(days);
        var failed = outcomes.Where(o => o.Kind == UnitOutcomeKind.Failed).ToList();
        var ok = outcomes.Where(o => o.Kind == UnitOutcomeKind.Success).ToList();
        Assert.True(failed.Count > 0 && ok.Count > 0, string.Join("; ", outcomes.Select(o => $"{o.Date} {o.Kind}")));
        Assert.Equal(days.Length, failed.Count + ok.Count);
        Assert.Equal(failed.Count, world.Simulator.Stats.Faults(ThetaFaultKind.LargeRequest570));
        var errors = await world.Ledger.ListErrorsAsync("spx", null, 100_000, Harness.Ct);
        foreach (var o in failed)
        {
            Assert.Equal(nameof(ErrorKind.LargeRequest), o.ErrorType);
            Assert.Contains("570 LARGE_REQUEST", o.Message, StringComparison.Ordinal);
            Assert.Contains(o.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), o.Message, StringComparison.Ordinal);
            var unit = (await world.Ledger.GetUnitAsync("spx", o.Date, Harness.Ct))!;
            Assert.Equal(UnitStatus.Failed, unit.Status);
            Assert.Equal(1, unit.AttemptCount);
            Assert.Equal(nameof(ErrorKind.LargeRequest), unit.LastErrorType);
            var mine = errors.Where(e => e.TradeDate == o.Date).ToList();
            Assert.NotEmpty(mine);
            Assert.All(mine, e =>
            {
                Assert.Equal(nameof(ErrorKind.LargeRequest), e.ErrorType);
                Assert.False(e.WillRetry);
                Assert.Equal(0, e.Attempt);
            });
            Assert.False(File.Exists(world.OutputFile(o.Date)));
        }

        foreach (var o in ok)
        {
            Assert.True(File.Exists(world.OutputFile(o.Date)));
        }

        Report.Add("faults.large-request.dates-failed", failed.Count);
        Report.Add("faults.large-request.dates-ok", ok.Count);
    }

    [Fact]
    public async Task Gone_v2_api_fails_fast_with_the_v3_hint()
    {
        await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02, V2Gone = true }, Fast);
        var outcomes = await world.RunAsync([Days[0], Days[1]]);
        Assert.All(outcomes, o =>
        {
            Assert.Equal(UnitOutcomeKind.Failed, o.Kind);
            Assert.Equal(nameof(ErrorKind.ApiVersionGone), o.ErrorType);
            Assert.Contains("thetadata.apiVersion to v3", o.Message, StringComparison.Ordinal);
            Assert.True(o.Duration < TimeSpan.FromSeconds(5), $"took {o.Duration}");
        });
        Assert.Equal(2, world.Simulator.Stats.TotalRequests);
    }

    private static async Task<Dictionary<DateOnly, byte[]>> ReferenceAsync()
    {
        await ReferenceGate.WaitAsync(Harness.Ct);
        try
        {
            if (_reference is null)
            {
                await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, Fast);
                var outcomes = await world.RunAsync(Days);
                Assert.All(outcomes, o => Assert.Equal(UnitOutcomeKind.Success, o.Kind));
                var files = new Dictionary<DateOnly, byte[]>();
                foreach (var day in Days)
                {
                    files[day] = await File.ReadAllBytesAsync(world.OutputFile(day), Harness.Ct);
                }

                _reference = files;
            }

            return _reference;
        }
        finally
        {
            ReferenceGate.Release();
        }
    }
}
