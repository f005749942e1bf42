using Backfill.Engine.Datasets.Spx.Parquet;
using System.Security.Cryptography;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Tests.Processing;

public sealed class SpxUnitProcessorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_day_is_published_verified_and_recorded()
    {
        await using var f = await EngineFixture.StartAsync();
        var outcome = await f.ProcessAsync();
        Assert.True(outcome.Kind == UnitOutcomeKind.Success, outcome.Message);
        Assert.True(File.Exists(f.OutputFile));
        Assert.Equal(outcome.FilePath, f.OutputFile);
        Assert.True(outcome.Rows > 1000);
        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(File.OpenRead(f.OutputFile), Ct));
        var unit = (await f.Ledger.GetUnitAsync("spx", EngineFixture.Day, Ct))!;
        Assert.Equal(UnitStatus.Success, unit.Status);
        Assert.Equal(sha, unit.FileSha256);
        Assert.Equal(outcome.Rows, unit.RowCount);
        Assert.Equal(outcome.SubUnits, unit.SubUnitsTotal);
        Assert.NotNull(unit.ContentSha256);
        Assert.False(Directory.Exists(f.StagingDirectory), "staging is deleted after publishing");
        var verify = await new ParquetFileVerifier().VerifyAsync(f.OutputFile, unit.FileSha256, unit.RowCount, SpxContentChecksum.OfFile, Ct);
        Assert.True(verify.IsOk, verify.Message);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f.OutputFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(f.OutputFile)!));
        }

        var metrics = await f.Ledger.ListMetricsAsync("spx", EngineFixture.Day, Ct);
        Assert.Contains(metrics, m => m.Name == "rows_per_second" && m.Value > 0);
        Assert.Contains(metrics, m => m.Name == "expirations" && m.Value == outcome.SubUnits);
    }

    [Fact]
    public async Task The_same_input_gives_a_byte_identical_file_and_a_done_day_is_skipped()
    {
        await using var f = await EngineFixture.StartAsync();
        Assert.Equal(UnitOutcomeKind.Success, (await f.ProcessAsync()).Kind);
        var first = await File.ReadAllBytesAsync(f.OutputFile, Ct);
        Assert.Equal(UnitOutcomeKind.Skipped, (await f.ProcessAsync()).Kind);
        var redo = await f.ProcessAsync(f.Options with { AllowSuccessful = true });
        Assert.Equal(UnitOutcomeKind.Success, redo.Kind);
        Assert.Equal(first, await File.ReadAllBytesAsync(f.OutputFile, Ct));
    }

    [Fact]
    public async Task A_stopped_day_resumes_from_its_staged_expirations_and_gives_the_same_bytes()
    {
        byte[] reference;
        await using (var clean = await EngineFixture.StartAsync())
        {
            Assert.Equal(UnitOutcomeKind.Success, (await clean.ProcessAsync()).Kind);
            reference = await File.ReadAllBytesAsync(clean.OutputFile, Ct);
        }

        await using var f = await EngineFixture.StartAsync();
        using var stop = new CancellationTokenSource();
        var progress = new UnitProgress(EngineFixture.Day);
        var run = f.Processor(spx: EngineFixture.Spx with { MaxConcurrentSubUnits = 1 }).ProcessAsync(EngineFixture.Day, progress, stop.Token, Ct);
        while (progress.SubUnitsDone < 3 && !run.IsCompleted)
        {
            await Task.Delay(5, Ct);
        }

        await stop.CancelAsync();
        var stopped = await run;
        Assert.Equal(UnitOutcomeKind.Interrupted, stopped.Kind);
        Assert.False(File.Exists(f.OutputFile), "no output before every expiration is staged");
        Assert.Equal(UnitStatus.Interrupted, (await f.Ledger.GetUnitAsync("spx", EngineFixture.Day, Ct))!.Status);
        var staged = Directory.GetFiles(f.StagingDirectory, "*.ndjson").Length;
        Assert.InRange(staged, 3, stopped.SubUnits - 1);

        var resumed = await f.ProcessAsync();
        Assert.Equal(UnitOutcomeKind.Success, resumed.Kind);
        Assert.Equal(staged, resumed.SubUnitsResumed);
        Assert.Equal(reference, await File.ReadAllBytesAsync(f.OutputFile, Ct));
    }

    [Fact]
    public async Task Transient_faults_are_retried_recorded_and_the_day_completes()
    {
        var faults = new ThetaFaultOptions
        {
            Probability = 0.2,
            Kinds = [ThetaFaultKind.RateLimit429, ThetaFaultKind.ResetMidBody, ThetaFaultKind.TruncatedJson, ThetaFaultKind.Disconnected474, ThetaFaultKind.ServerStarting571],
        };
        await using var f = await EngineFixture.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02, Faults = faults });
        var outcome = await f.ProcessAsync(f.Options with
        {
            Retry = EngineFixture.FastRetry
                .With(ErrorKind.ConnectionFailed, new RetryPolicy(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)))
                .With(ErrorKind.InvalidResponse, new RetryPolicy(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5))),
        });
        Assert.True(outcome.Kind == UnitOutcomeKind.Success, outcome.Message);
        var errors = await f.Ledger.ListErrorsAsync("spx", EngineFixture.Day, 1000, Ct);
        Assert.Contains(errors, e => e.WillRetry && e.ErrorType is "ConnectionFailed" or "InvalidResponse");
        Assert.All(errors, e => Assert.NotEqual("NoData", e.ErrorType));
    }

    [Fact]
    public async Task A_permanent_error_fails_the_day_without_retrying_and_keeps_staged_work()
    {
        var faults = new ThetaFaultOptions { Probability = 0.3, Kinds = [ThetaFaultKind.LargeRequest570] };
        await using var f = await EngineFixture.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02, Faults = faults });
        var outcome = await f.ProcessAsync();
        Assert.Equal(UnitOutcomeKind.Failed, outcome.Kind);
        Assert.Equal("LargeRequest", outcome.ErrorType);
        var unit = (await f.Ledger.GetUnitAsync("spx", EngineFixture.Day, Ct))!;
        Assert.Equal(UnitStatus.Failed, unit.Status);
        Assert.Equal("LargeRequest", unit.LastErrorType);
        var errors = await f.Ledger.ListErrorsAsync("spx", EngineFixture.Day, 1000, Ct);
        Assert.Contains(errors, e => e.ErrorType == "LargeRequest" && !e.WillRetry);
        Assert.DoesNotContain(errors, e => e.ErrorType == "LargeRequest" && e.WillRetry);
        Assert.False(File.Exists(f.OutputFile));
    }

    [Fact]
    public async Task Too_little_disk_fails_before_downloading()
    {
        await using var f = await EngineFixture.StartAsync();
        var outcome = await f.Processor(disk: new FixedDisk(1024)).ProcessAsync(EngineFixture.Day, new UnitProgress(EngineFixture.Day), CancellationToken.None, Ct);
        Assert.Equal(UnitOutcomeKind.Failed, outcome.Kind);
        Assert.Equal("InsufficientDisk", outcome.ErrorType);
        Assert.Equal(0, f.Simulator.Stats.Requests("/v2/bulk_hist/option/greeks"));
    }

    [Fact]
    public async Task A_live_claim_by_another_worker_is_respected()
    {
        await using var f = await EngineFixture.StartAsync();
        await f.Ledger.TryClaimUnitAsync("spx", EngineFixture.Day, "other-host/1/1/abc", TimeSpan.FromMinutes(5), false, Ct);
        var outcome = await f.ProcessAsync();
        Assert.Equal(UnitOutcomeKind.Skipped, outcome.Kind);
        Assert.Contains("another worker", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_local_worker_is_taken_over_at_once()
    {
        await using var f = await EngineFixture.StartAsync();
        var dead = $"{Environment.MachineName}/{int.MaxValue - 7}/1/deadbeef";
        await f.Ledger.TryClaimUnitAsync("spx", EngineFixture.Day, dead, TimeSpan.FromHours(1), false, Ct);
        var outcome = await f.ProcessAsync();
        Assert.True(outcome.Kind == UnitOutcomeKind.Success, outcome.Message);
    }

    [Fact]
    public async Task The_retry_limit_stops_endless_retries_unless_forced()
    {
        await using var f = await EngineFixture.StartAsync();
        for (var i = 0; i < 2; i++)
        {
            await f.Ledger.TryClaimUnitAsync("spx", EngineFixture.Day, "t", TimeSpan.FromMinutes(1), false, Ct);
            await f.Ledger.FailUnitAsync("spx", EngineFixture.Day, "t", "ServerError", "500", Ct);
        }

        var limited = await f.ProcessAsync(f.Options with { RetryLimit = 2 });
        Assert.Equal(UnitOutcomeKind.Skipped, limited.Kind);
        Assert.Contains("--force", limited.Message, StringComparison.Ordinal);
        Assert.Equal(UnitOutcomeKind.Success, (await f.ProcessAsync(f.Options with { RetryLimit = 2, IgnoreRetryLimit = true })).Kind);
    }

    [Theory]
    [InlineData("2024-06-15", "Saturday")]
    [InlineData("2024-07-04", "Independence")]
    [InlineData("2030-01-02", "no complete data yet")]
    [InlineData("2019-12-31", "before processing.startDate")]
    public void Dates_that_cannot_be_processed_are_refused_with_the_reason(string date, string reason)
    {
        var e = Assert.Throws<InvalidInputException>(() => DateValidator.EnsureProcessable(
            NyseCalendar.Instance, DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), new DateOnly(2020, 1, 2), new DateOnly(2025, 1, 2)));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
