using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Tests.Shared;

namespace Backfill.Cli.Tests;

/// <summary>
/// deploy/prometheus/backfill-rules.yml: promtool checks it and runs its unit tests, and a real Prometheus server scraping a
/// real <c>backfill serve</c> over a ledger with a failed date fires the failure-rate alert.
/// </summary>
public sealed partial class PrometheusRulesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Promtool_checks_the_rules_and_passes_their_unit_tests()
    {
        var promtool = MonitoringTools.Require("promtool", "prometheus");
        // As docs/monitoring.md runs them, from the repository's root.
        var check = await MonitoringTools.RunAsync(promtool, MonitoringTools.Root, "check", "rules", "deploy/prometheus/backfill-rules.yml");
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("SUCCESS: 8 rules found", check.Output, StringComparison.Ordinal);
        var test = await MonitoringTools.RunAsync(promtool, MonitoringTools.Root, "test", "rules", "deploy/prometheus/backfill-rules.test.yml");
        Assert.True(test.ExitCode == 0, test.Output);
        Assert.Contains("SUCCESS", test.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_backfill_alerts_evaluates_has_a_rule_of_the_same_name()
    {
        var rules = File.ReadAllText(Path.Combine(MonitoringTools.RulesFolder, "backfill-rules.yml"));
        var names = AlertName().Matches(rules).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        foreach (var name in typeof(Engine.Alerts.AlertRules).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!))
        {
            Assert.Contains(name, names);
        }
    }

    [Fact]
    public async Task A_real_prometheus_scrapes_serve_and_fires_the_failure_rate_alert_for_a_failed_date()
    {
        var prometheus = MonitoringTools.Require("prometheus", "prometheus");
        using var cli = new CliRunner(DateTimeOffset.UtcNow);
        cli.Env["BACKFILL_PROCESSING_OUTPUTDIRECTORY"] = Path.Combine(cli.Folder, "out");
        cli.Env["BACKFILL_PROCESSING_TEMPDIRECTORY"] = Path.Combine(cli.Folder, "temp");
        await using (var ledger = new SqliteLedger(cli.Db, TimeProvider.System))
        {
            // One date done and one failed just now: 50 % of the last 24 hours' attempts failed.
            await ledger.MigrateAsync(Ct);
            var done = new DateOnly(2024, 6, 11);
            Assert.NotNull(await ledger.TryClaimUnitAsync("spx", done, "t", TimeSpan.FromMinutes(5), false, Ct));
            await ledger.CompleteUnitAsync("spx", done, "t", new UnitSuccess { FilePath = "/nowhere.parquet", FileSize = 5, FileSha256 = new string('a', 64), RowCount = 1 }, Ct);
            var failed = new DateOnly(2024, 6, 10);
            Assert.NotNull(await ledger.TryClaimUnitAsync("spx", failed, "t", TimeSpan.FromMinutes(5), false, Ct));
            await ledger.FailUnitAsync("spx", failed, "t", "RateLimited", "429 after 5 attempts", Ct);
        }

        await using var serve = RunningCommand.Start(cli, "serve", "--port", "0");
        var url = await serve.WaitForUrlAsync();

        // The prometheus.yml of docs/monitoring.md, scraping this serve every second; the shipped rules with every "for" at 0
        // so that the alert fires at the first evaluation.
        var folder = Path.Combine(cli.Folder, "prometheus");
        Directory.CreateDirectory(folder);
        var rules = ForDuration().Replace(File.ReadAllText(Path.Combine(MonitoringTools.RulesFolder, "backfill-rules.yml")), "for: 0s");
        File.WriteAllText(Path.Combine(folder, "backfill-rules.yml"), rules);
        var config = DocsYaml().Match(File.ReadAllText(Path.Combine(MonitoringTools.Root, "docs", "monitoring.md"))).Groups[1].Value;
        Assert.Contains("'127.0.0.1:8470'", config, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "prometheus.yml"), config.Replace("30s", "1s", StringComparison.Ordinal).Replace(":8470", $":{url.Port}", StringComparison.Ordinal));
        var port = LoopbackProcess.FreePort();
        using var server = new BackgroundProgram(prometheus, folder,
            ["--config.file=prometheus.yml", "--storage.tsdb.path=data", $"--web.listen-address=127.0.0.1:{port}"]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        await MonitoringTools.WaitUntilAsync(async () =>
        {
            if (server.HasExited)
            {
                Assert.Fail("prometheus exited:\n" + server.Output);
            }

            var result = await QueryAsync(http, "backfill_units{dataset=\"spx\",status=\"failed\"}");
            return (result.Count == 1 && result[0].GetProperty("value")[1].GetString() == "1", $"{result.Count} series");
        }, TimeSpan.FromSeconds(90), "Prometheus scraping backfill_units of spx from serve");

        var names = await GetDataAsync(http, "api/v1/label/__name__/values");
        var backfill = names.EnumerateArray().Select(n => n.GetString()!).Where(n => n.StartsWith("backfill_", StringComparison.Ordinal)).ToList();
        Assert.Contains("backfill_recent_attempts", backfill);
        Assert.Contains("backfill_gaps", backfill);
        Assert.Contains("backfill_last_success_timestamp_seconds", backfill);
        var failureRate = await QueryAsync(http, "sum by (dataset) (backfill_recent_attempts{dataset=\"spx\",window=\"24h\",outcome=\"failed\"})");
        Assert.Equal("1", Assert.Single(failureRate).GetProperty("value")[1].GetString());

        await MonitoringTools.WaitUntilAsync(async () =>
        {
            var alerts = (await GetDataAsync(http, "api/v1/alerts")).GetProperty("alerts").EnumerateArray()
                .Where(a => a.GetProperty("labels").GetProperty("alertname").GetString() == "BackfillFailureRateHigh").ToList();
            var spx = alerts.FirstOrDefault(a => a.GetProperty("labels").GetProperty("dataset").GetString() == "spx");
            return (spx.ValueKind == JsonValueKind.Object && spx.GetProperty("state").GetString() == "firing"
                    && double.Parse(spx.GetProperty("value").GetString()!, CultureInfo.InvariantCulture) == 0.5,
                string.Join("; ", alerts.Select(a => a.ToString())));
        }, TimeSpan.FromSeconds(60), "the BackfillFailureRateHigh alert of spx firing");
        Assert.Equal(0, await serve.StopAsync());
    }

    private static async Task<JsonElement> GetDataAsync(HttpClient http, string path)
    {
        var body = await http.GetFromJsonAsync<JsonElement>(path, Ct);
        Assert.Equal("success", body.GetProperty("status").GetString());
        return body.GetProperty("data");
    }

    private static async Task<List<JsonElement>> QueryAsync(HttpClient http, string query)
    {
        try
        {
            var data = await GetDataAsync(http, "api/v1/query?query=" + Uri.EscapeDataString(query));
            return [.. data.GetProperty("result").EnumerateArray()];
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
            return [];
        }
    }

    [GeneratedRegex(@"^\s*- alert: (\w+)", RegexOptions.Multiline)]
    private static partial Regex AlertName();

    [GeneratedRegex(@"```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex DocsYaml();

    [GeneratedRegex(@"for: \d+[smh]")]
    private static partial Regex ForDuration();
}
