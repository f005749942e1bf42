using System.Net;
using System.Text.Json;
using Backfill.Simulators.AlphaVantage;
using Backfill.Simulators.CryptoLake;
using Backfill.Simulators.Databento;
using Backfill.Simulators.ThetaData;

namespace Backfill.Cli.Tests;

[Collection(ProcessWideState.Name)]
public sealed class OperationsCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] Sets(CliRunner cli, Uri simulator) =>
    [
        "--set", $"thetadata.baseUrl={simulator}", "--set", "processing.startDate=2024-06-10",
        "--set", $"processing.outputDirectory={Path.Combine(cli.Folder, "out")}", "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}",
    ];

    [Fact]
    public async Task Metrics_file_holds_requests_units_rows_duration_memory_and_retries_after_a_simulated_run()
    {
        using var cli = new CliRunner();
        await using var sim = await ThetaDataSimulator.StartAsync(
            new ThetaDataSimulatorOptions { Scale = 0.02, Faults = new ThetaFaultOptions { Probability = 0.1, Kinds = [ThetaFaultKind.RateLimit429], Seed = 7 } }, cancellationToken: Ct);

        // Planned from the expiration lists: every listed expiration is asked for, enough requests for 10 % of 429s to land.
        var result = await cli.RunAsync(["process-range", "2024-06-10", "2024-06-11", .. Sets(cli, sim.BaseAddress), "--set", "thetadata.contractListing=off"]);
        Assert.True(result.ExitCode is 0 or 1, result.ToString());

        var files = Directory.GetFiles(Path.Combine(cli.Folder, "metrics"), "metrics-*.jsonl");
        var file = Assert.Single(files);
        var points = File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        JsonElement Last(string name) => points.Last(p => p.GetProperty("name").GetString() == name);

        foreach (var p in points)
        {
            Assert.Equal("backfill", p.GetProperty("resource").GetProperty("service.name").GetString());
            Assert.StartsWith("Backfill", p.GetProperty("scope").GetProperty("name").GetString(), StringComparison.Ordinal);
            Assert.True(long.Parse(p.GetProperty("timeUnixNano").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        }

        var requests = Last("backfill.requests");
        Assert.Equal("sum", requests.GetProperty("type").GetString());
        Assert.Equal("thetadata", requests.GetProperty("attributes").GetProperty("source").GetString());
        Assert.True(requests.GetProperty("value").GetInt64() > 2);

        var done = points.Last(p => p.GetProperty("name").GetString() == "backfill.units" && p.GetProperty("attributes").GetProperty("outcome").GetString() == "done");
        Assert.Equal("spx", done.GetProperty("attributes").GetProperty("dataset").GetString());

        var list = await cli.RunAsync(["list", "--from", "2024-06-10", "--to", "2024-06-11", "--format", "json", .. Sets(cli, sim.BaseAddress)]);
        var succeeded = list.Json().EnumerateArray().Count(u => u.GetProperty("status").GetString() == "success");
        Assert.True(succeeded > 0, list.ToString());
        Assert.Equal(succeeded, done.GetProperty("value").GetInt64());
        var ledgerRows = list.Json().EnumerateArray().Where(u => u.GetProperty("status").GetString() == "success").Sum(u => u.GetProperty("rows").GetInt64());
        Assert.Equal(ledgerRows, Last("backfill.rows").GetProperty("value").GetInt64());
        Assert.True(Last("backfill.bytes_written").GetProperty("value").GetInt64() > 0);
        Assert.Equal("gauge", Last("backfill.rows_per_second").GetProperty("type").GetString());
        Assert.True(Last("backfill.rows_per_second").GetProperty("value").GetDouble() > 0);

        // One series per outcome (done, failed): the last export of each, together, counts each date once.
        var durations = points.Where(p => p.GetProperty("name").GetString() == "backfill.unit.duration")
            .GroupBy(p => p.GetProperty("attributes").GetRawText()).Select(g => g.Last()).ToList();
        Assert.All(durations, d => Assert.Equal("histogram", d.GetProperty("type").GetString()));
        Assert.Equal(2, durations.Sum(d => d.GetProperty("count").GetInt64()));
        Assert.All(durations, d => Assert.Equal(d.GetProperty("bucketBounds").GetArrayLength() + 1, d.GetProperty("bucketCounts").GetArrayLength()));
        Assert.Equal(2, durations.Sum(d => d.GetProperty("bucketCounts").EnumerateArray().Sum(c => c.GetInt64())));

        Assert.True(Last("backfill.process.memory").GetProperty("value").GetInt64() > 1_000_000);
        var retried = points.Where(p => p.GetProperty("name").GetString() == "backfill.retries").ToList();
        Assert.Contains(retried, p => p.GetProperty("attributes").GetProperty("error.kind").GetString() == "RateLimited");
        Assert.Contains(points, p => p.GetProperty("name").GetString() == "backfill.errors" &&
                                     p.GetProperty("attributes").GetProperty("error.kind").GetString() == "RateLimited");
    }

    [Theory]
    [InlineData("metrics.exporters", "jsonl,statsd", "'statsd'")]
    [InlineData("metrics.exporters", "none,otlp", "combines none")]
    [InlineData("metrics.intervalSeconds", "0", "out of range")]
    [InlineData("metrics.otlpEndpoint", "collector:4318", "not an http(s) URL")]
    [InlineData("logging.maxFileBytes", "10", "out of range")]
    [InlineData("logging.keepFiles", "many", "not a whole number")]
    public async Task Bad_metrics_and_logging_settings_are_refused_with_the_key_and_value(string key, string value, string expected)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("config", "set", key, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(key, result.Error, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exporters_none_writes_no_metrics_file()
    {
        using var cli = new CliRunner();
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, cancellationToken: Ct);
        var result = await cli.RunAsync(["process", "2024-06-10", "--set", "metrics.exporters=none", .. Sets(cli, sim.BaseAddress)]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(Directory.Exists(Path.Combine(cli.Folder, "metrics")));
    }

    [Fact]
    public async Task Secrets_never_reach_the_log_file_or_the_console_even_at_trace_level()
    {
        // Late enough that every simulated vendor's day below is a complete session.
        using var cli = new CliRunner(new DateTimeOffset(2025, 6, 30, 23, 0, 0, TimeSpan.Zero));
        const string avKey = "AVKEY-s3cr3t-9f8e7d";
        const string encryptionKey = "q8mFz0x3J2cT6hY1vK9pL4rW7sN5bD0aE2gH8jM6uQ0=";
        const string dbPassword = "hunter2-db-pass";
        const string databentoKey = "db-key-1234567890";
        cli.Env["BACKFILL_LOG_LEVEL"] = "trace";
        cli.Env["BACKFILL_DATABENTO_APIKEY"] = databentoKey;
        Environment.SetEnvironmentVariable("ALPHA_VANTAGE_API_KEY", avKey);
        Environment.SetEnvironmentVariable("OHLCV_ENCRYPTION_KEY", encryptionKey);
        try
        {
            string[] Common(string start) =>
            [
                "--set", $"processing.startDate={start}", "--set", $"processing.outputDirectory={Path.Combine(cli.Folder, "out")}",
                "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}",
            ];
            var runs = new List<CliResult>();

            // ThetaData (spx): a date that gives up after its retries (exit 1) logs even more; the secrets must stay out either way.
            await using (var theta = await ThetaDataSimulator.StartAsync(
                new ThetaDataSimulatorOptions { Scale = 0.02, Faults = new ThetaFaultOptions { Probability = 0.1, Kinds = [ThetaFaultKind.RateLimit429], Seed = 3 } }, cancellationToken: Ct))
            {
                runs.Add(await cli.RunAsync(["process", "2024-06-10", "--verbose", "--set", $"thetadata.baseUrl={theta.BaseAddress}", .. Common("2024-06-10")]));
            }

            // Databento (fop): the key is the Basic credential of every request, which the simulator checks.
            await using (var databento = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions { RequiredApiKey = databentoKey }, 0, Ct))
            {
                runs.Add(await cli.RunAsync(["--dataset", "fop", "process", "2025-01-02", "--set", $"databento.baseUrl={databento.BaseAddress.ToString().TrimEnd('/')}", .. Common("2024-01-02")]));
            }

            // Alpha Vantage (ohlcv): the key is a query parameter, and a burst limit makes the client retry.
            await using (var alpha = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions
                   { Today = new DateOnly(2025, 6, 30), Faults = new AlphaVantageFaultOptions { Probability = 0.3, Kinds = [AlphaVantageFaultKind.BurstLimit], Seed = 5 } }, 0, Ct))
            {
                runs.Add(await cli.RunAsync(["--dataset", "ohlcv", "process", "2025-06-24", "--set", $"alphavantage.baseUrl={alpha.BaseAddress.ToString().TrimEnd('/')}",
                    "--set", "alphavantage.minIntervalMs=0", "--set", "ohlcv.symbols=AAPL,MSFT", .. Common("2024-01-02")]));
            }

            // Crypto Lake (crypto-book): listed and read over HTTP.
            await using (var lake = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 0.2 }, cancellationToken: Ct))
            {
                runs.Add(await cli.RunAsync(["--dataset", "crypto-book", "process", "2025-06-24", "--set", $"cryptolake.baseUrl={lake.BaseAddress}", .. Common("2024-01-02")]));
            }

            Assert.All(runs, r => Assert.True(r.ExitCode is 0 or 1, r.ToString()));
            var bad = await cli.RunAsync("status", "--db", $"postgres://team:{dbPassword}@127.0.0.1:1/backfill");
            Assert.Equal(3, bad.ExitCode);

            var logs = Directory.GetFiles(Path.Combine(cli.Folder, "logs"), "backfill-*.log");
            var text = string.Concat(logs.Select(File.ReadAllText));
            Assert.Contains("\"@l\":\"Verbose\"", text, StringComparison.Ordinal);
            foreach (var vendor in new[] { "Backfill.Sources.ThetaData", "Backfill.Sources.Databento", "Backfill.Sources.AlphaVantage", "Backfill.Sources.CryptoLake" })
            {
                Assert.Contains(vendor, text, StringComparison.Ordinal);
            }

            foreach (var dataset in new[] { "spx", "fop", "ohlcv", "crypto-book" })
            {
                Assert.Contains($"unit requests {dataset} ", text, StringComparison.Ordinal);
            }

            var console = string.Concat(runs.Select(r => r.Out + r.Error)) + bad.Out + bad.Error;
            foreach (var secret in new[] { avKey, encryptionKey, dbPassword, databentoKey })
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, console, StringComparison.Ordinal);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("ALPHA_VANTAGE_API_KEY", null);
            Environment.SetEnvironmentVariable("OHLCV_ENCRYPTION_KEY", null);
        }
    }

    [Fact]
    public async Task A_bad_log_level_is_refused_naming_the_variable_and_the_levels()
    {
        using var cli = new CliRunner();
        cli.Env["BACKFILL_LOG_LEVEL"] = "loud";
        var result = await cli.RunAsync("process", "2024-06-10", "--set", "processing.startDate=2024-06-10",
            "--set", $"processing.outputDirectory={Path.Combine(cli.Folder, "out")}", "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("BACKFILL_LOG_LEVEL: 'loud' is not a log level", result.Error, StringComparison.Ordinal);
        Assert.Contains("trace, debug, information, warning, error", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_refuses_a_remote_bind_without_allow_remote()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("serve", "--bind", "0.0.0.0", "--port", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--allow-remote", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_answers_health_on_loopback_until_stopped()
    {
        using var cli = new CliRunner();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var output = new StringWriter();
        var error = new SynchronizedWriter();
        var environment = new CliEnvironment(output, error, new StringReader(""), cli.Env, TimeProvider.System, false, false);
        var run = CliApp.RunAsync(["serve", "--port", "0", "--db", cli.Db], environment, stop.Token);
        var url = await error.WaitForUrlAsync(Ct);
        using var http = new HttpClient();
        var health = await http.GetAsync(new Uri(url, "health"), Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("127.0.0.1", url.Host);
        await stop.CancelAsync();
        Assert.Equal(0, await run);
    }

    private sealed class SynchronizedWriter : StringWriter
    {
        private readonly TaskCompletionSource<Uri> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            var match = System.Text.RegularExpressions.Regex.Match(value ?? "", @"on (http://[^ ]+/) ");
            if (match.Success)
            {
                _url.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public async Task<Uri> WaitForUrlAsync(CancellationToken ct) => await _url.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
    }
}
