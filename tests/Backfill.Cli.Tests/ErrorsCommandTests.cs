using System.Text.Json;

namespace Backfill.Cli.Tests;

[Collection(ProcessWideState.Name)]
public sealed class ErrorsCommandTests
{
    [Fact]
    public async Task Errors_shows_a_failed_dates_history_grouped_with_the_command_that_retries_it()
    {
        using var cli = new CliRunner();
        await DefaultLogTests.RunOneGoodAndOneFailingDateAsync(cli);

        var json = await cli.RunAsync("errors", "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var rows = json.Json().EnumerateArray().ToList();
        JsonElement Row(string group, string key) => Assert.Single(rows, r => r.GetProperty("group").GetString() == group && r.GetProperty("key").GetString() == key);
        var total = Row("total", "all");
        var type = Row("type", "RateLimited");
        Assert.Equal(total.GetProperty("count").GetInt32(), type.GetProperty("count").GetInt32());
        Assert.True(type.GetProperty("permanent").GetInt32() >= 1, type.ToString());
        Assert.True(type.GetProperty("retried").GetInt32() >= 1, type.ToString());
        Assert.Equal(type.GetProperty("count").GetInt32(), Row("source", "HTTP 429").GetProperty("count").GetInt32());
        Assert.Equal(type.GetProperty("count").GetInt32(), Row("date", "2024-06-10").GetProperty("count").GetInt32());
        Assert.DoesNotContain(rows, r => r.GetProperty("key").GetString() == "2024-06-11");
        // Messages group with their numbers folded, so "429 ... after 3 attempt(s)" and its variants count together.
        var messages = rows.Where(r => r.GetProperty("group").GetString() == "message").ToList();
        Assert.NotEmpty(messages);
        Assert.Equal(total.GetProperty("count").GetInt32(), messages.Sum(m => m.GetProperty("count").GetInt32()));
        Assert.All(messages, m => Assert.Contains("(# OS_LIMIT)", m.GetProperty("key").GetString(), StringComparison.Ordinal));
        Assert.Equal(1, Row("retry", "backfill retry 2024-06-10").GetProperty("count").GetInt32());

        var table = await cli.RunAsync("errors", "--since", "7d", "--type", "RateLimited");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("RateLimited", table.Out, StringComparison.Ordinal);
        Assert.Contains("2024-06-10", table.Out, StringComparison.Ordinal);
        Assert.Contains("Retry with: backfill retry 2024-06-10", table.Out, StringComparison.Ordinal);

        var csv = await cli.RunAsync("errors", "--from", "2024-06-10", "--to", "2024-06-10", "--format", "csv");
        Assert.StartsWith("group,key,count,retried,permanent,first,last\n", csv.Out, StringComparison.Ordinal);
        Assert.Contains("date,2024-06-10,", csv.Out, StringComparison.Ordinal);

        var none = await cli.RunAsync("errors", "--type", "ConnectionFailed", "--format", "json");
        var only = Assert.Single(none.Json().EnumerateArray());
        Assert.Equal(0, only.GetProperty("count").GetInt32());

        var later = await cli.RunAsync("errors", "--from", "2024-06-11", "--format", "json");
        Assert.Equal(0, Assert.Single(later.Json().EnumerateArray()).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Errors_reads_a_shared_PostgreSQL_ledger_the_same_way()
    {
        var server = Environment.GetEnvironmentVariable("BACKFILL_TEST_PG_URL");
        if (string.IsNullOrWhiteSpace(server))
        {
            Assert.Skip("PostgreSQL not reachable: set BACKFILL_TEST_PG_URL (postgres://user:password@127.0.0.1:5432/db) or run .ci/run, which starts one.");
        }

        var url = server + (server.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "schema=errors_" + Guid.NewGuid().ToString("N")[..12];
        using var cli = new CliRunner();
        await using (var ledger = Backfill.Ledger.LedgerFactory.Create(url, cli.Clock))
        {
            await ledger.MigrateAsync(TestContext.Current.CancellationToken);
            var day = new DateOnly(2024, 6, 10);
            await ledger.TryClaimUnitAsync("spx", day, "t", TimeSpan.FromMinutes(5), false, TestContext.Current.CancellationToken);
            foreach (var (attempt, retry) in new[] { (0, true), (1, false) })
            {
                await ledger.RecordErrorAsync(new Backfill.Ledger.Model.ErrorRecord
                {
                    Dataset = "spx", TradeDate = day, ErrorType = "ServerError", Message = $"ThetaData answered 500 on attempt {attempt}", Attempt = attempt, StatusCode = 500, WillRetry = retry,
                }, TestContext.Current.CancellationToken);
            }

            await ledger.FailUnitAsync("spx", day, "t", "ServerError", "500", TestContext.Current.CancellationToken);
        }

        var json = await cli.RunAsync("errors", "--since", "7d", "--format", "json", "--db", url);
        Assert.True(json.ExitCode == 0, json.ToString());
        var rows = json.Json().EnumerateArray().ToList();
        var type = Assert.Single(rows, r => r.GetProperty("group").GetString() == "type");
        Assert.Equal(("ServerError", 2, 1, 1), (type.GetProperty("key").GetString(), type.GetProperty("count").GetInt32(), type.GetProperty("retried").GetInt32(), type.GetProperty("permanent").GetInt32()));
        var message = Assert.Single(rows, r => r.GetProperty("group").GetString() == "message");
        Assert.Equal("ThetaData answered # on attempt #", message.GetProperty("key").GetString());
        Assert.Contains(rows, r => r.GetProperty("group").GetString() == "retry" && r.GetProperty("key").GetString() == "backfill retry 2024-06-10");
    }

    [Theory]
    [InlineData("--since", "7x", "'7x' is not a span or a date", "7d (days)")]
    [InlineData("--since", "0d", "'0d' is not a span or a date", "12h (hours)")]
    [InlineData("--type", "Loud", "'Loud' is not an error type", "RateLimited")]
    [InlineData("--type", "3", "'3' is not an error type", "ConnectionFailed")]
    public async Task A_bad_since_or_type_is_refused_with_the_value_and_the_fix(string option, string value, string problem, string fix)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("errors", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{option}: {problem}", result.Error, StringComparison.Ordinal);
        Assert.Contains(fix, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_does_not_create_a_ledger_that_does_not_exist()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("errors");
        Assert.Equal(3, result.ExitCode);
        Assert.False(File.Exists(cli.Db));
    }
}
