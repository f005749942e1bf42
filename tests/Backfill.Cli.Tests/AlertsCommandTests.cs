using System.Net;
using System.Text.Json;
using Backfill.Cli.Tests.TinyDataset;
using Backfill.Engine.Datasets;
using Backfill.Ledger.Sqlite;

namespace Backfill.Cli.Tests;

/// <summary><c>backfill alerts</c> and the webhook: firing once, not again within the repeat interval, resolved when cleared.</summary>
public sealed class AlertsCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Only the conditions a test makes hold: the disk and the machine this test runs on, and the long run of never-attempted
    /// sessions a short test range leaves, are set out of reach.
    /// </summary>
    private static CliRunner NewRunner(WebhookReceiver? webhook)
    {
        var cli = new CliRunner { Datasets = DatasetRegistry.Default.With(new TinyDataset.TinyDataset()) };
        cli.Env["BACKFILL_ALERTS_DISKFREEPERCENT"] = "0";
        cli.Env["BACKFILL_ALERTS_RESOURCEPERCENT"] = "100";
        cli.Env["BACKFILL_ALERTS_MAXCONSECUTIVEMISSING"] = "100000";
        cli.Env["BACKFILL_ALERTS_NOSUCCESSSESSIONS"] = "100000";
        cli.Env["BACKFILL_PROCESSING_OUTPUTDIRECTORY"] = Path.Combine(cli.Folder, "out");
        cli.Env["BACKFILL_PROCESSING_TEMPDIRECTORY"] = Path.Combine(cli.Folder, "temp");
        if (webhook is not null)
        {
            cli.Env["BACKFILL_ALERTS_WEBHOOKURL"] = webhook.Url.AbsoluteUri;
        }

        return cli;
    }

    /// <summary>A failed attempt of <paramref name="dataset"/> recorded now (the runner's clock).</summary>
    private static async Task FailAsync(CliRunner cli, string dataset, DateOnly date)
    {
        await using var ledger = new SqliteLedger(cli.Db, cli.Clock);
        await ledger.MigrateAsync(Ct);
        Assert.NotNull(await ledger.TryClaimUnitAsync(dataset, date, "t", TimeSpan.FromMinutes(5), true, Ct));
        await ledger.FailUnitAsync(dataset, date, "t", "ServerError", "HTTP 500 from the vendor", Ct);
    }

    private static JsonElement Alert(CliResult result, string name, string subject) =>
        result.Json().EnumerateArray().Single(a => a.GetProperty("alert").GetString() == name && a.GetProperty("subject").GetString() == subject);

    private static void NoSecretIn(CliRunner cli, WebhookReceiver webhook, params CliResult[] results)
    {
        var secret = WebhookReceiver.SecretPath.Split('/')[^1];
        foreach (var post in webhook.Posts)
        {
            Assert.DoesNotContain(secret, post.Body, StringComparison.Ordinal);
        }

        foreach (var result in results)
        {
            Assert.DoesNotContain(secret, result.Out + result.Error, StringComparison.Ordinal);
        }

        var logs = Path.Combine(cli.Folder, "logs");
        foreach (var file in Directory.Exists(logs) ? Directory.GetFiles(logs) : [])
        {
            Assert.DoesNotContain(secret, File.ReadAllText(file), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task After_a_run_with_a_failing_date_the_webhook_got_one_firing_alert_and_alerts_exits_1_without_sending_it_again()
    {
        using var webhook = new WebhookReceiver();
        using var cli = NewRunner(webhook);
        await DefaultLogTests.RunOneGoodAndOneFailingDateAsync(cli);

        // The failing run ended by evaluating the alerts: one failed attempt of two in 24 hours fires, and is posted once.
        var post = Assert.Single(webhook.Posts);
        Assert.Equal(("POST", "/" + WebhookReceiver.SecretPath, "application/json; charset=utf-8"), (post.Method, post.Path, post.ContentType));
        Assert.StartsWith("[FIRING] BackfillFailureRateHigh (critical) on ", post.Text, StringComparison.Ordinal);
        Assert.Contains("spx: 50 % of the attempts that finished in the last 24 h failed (1 of 2); the limit is 5 %.", post.Text, StringComparison.Ordinal);
        Assert.Equal("firing", post.Json.GetProperty("status").GetString());
        Assert.Equal("spx", post.Json.GetProperty("alert").GetProperty("labels").GetProperty("dataset").GetString());
        Assert.Equal(0.5, post.Json.GetProperty("alert").GetProperty("value").GetDouble());

        var alerts = await cli.RunAsync("alerts", "--format", "json");
        Assert.True(alerts.ExitCode == 1, alerts.ToString());
        var firing = Alert(alerts, "BackfillFailureRateHigh", "spx");
        Assert.Equal(("firing", "critical", 0.5, 0.05), (firing.GetProperty("state").GetString(), firing.GetProperty("severity").GetString(),
            firing.GetProperty("value").GetDouble(), firing.GetProperty("threshold").GetDouble()));
        Assert.Equal("inactive", Alert(alerts, "BackfillFailureRateHigh", "fop").GetProperty("state").GetString());
        Assert.Equal("inactive", Alert(alerts, "BackfillSourceConnectivityFailures", "spx").GetProperty("state").GetString());
        Assert.Single(webhook.Posts);

        // Within alerts.repeatInterval (4h) nothing is sent again; past it, the still firing alert is repeated.
        cli.Clock.Now = cli.Clock.Now.AddHours(3);
        Assert.Equal(1, (await cli.RunAsync("alerts")).ExitCode);
        Assert.Single(webhook.Posts);
        cli.Clock.Now = cli.Clock.Now.AddHours(1);
        Assert.Equal(1, (await cli.RunAsync("alerts")).ExitCode);
        Assert.Equal(2, webhook.Posts.Count);
        Assert.StartsWith("[FIRING] BackfillFailureRateHigh", webhook.Posts[1].Text, StringComparison.Ordinal);

        // A day later the failure is out of the 24-hour window: the alert resolves, is sent once as resolved, and alerts exits 0.
        cli.Clock.Now = cli.Clock.Now.AddHours(21);
        var cleared = await cli.RunAsync("alerts", "--format", "json");
        Assert.True(cleared.ExitCode == 0, cleared.ToString());
        Assert.Equal("inactive", Alert(cleared, "BackfillFailureRateHigh", "spx").GetProperty("state").GetString());
        Assert.Equal(3, webhook.Posts.Count);
        Assert.StartsWith("[RESOLVED] BackfillFailureRateHigh (critical) on ", webhook.Posts[2].Text, StringComparison.Ordinal);
        Assert.Equal("resolved", webhook.Posts[2].Json.GetProperty("status").GetString());
        Assert.Equal(0, (await cli.RunAsync("alerts")).ExitCode);
        Assert.Equal(3, webhook.Posts.Count);
        NoSecretIn(cli, webhook, alerts, cleared);
    }

    [Fact]
    public async Task A_failing_webhook_is_retried_then_given_up_with_a_warning_and_the_alert_is_sent_at_the_next_evaluation()
    {
        using var webhook = new WebhookReceiver { Status = HttpStatusCode.InternalServerError };
        using var cli = NewRunner(webhook);
        await FailAsync(cli, "tiny", new DateOnly(2024, 12, 30));

        var failed = await cli.RunAsync("alerts");
        Assert.True(failed.ExitCode == 1, failed.ToString());
        Assert.Equal(4, webhook.Posts.Count);
        Assert.Contains($"warning: the firing alert BackfillFailureRateHigh{{dataset=\"tiny\"}} was not sent after 4 attempt(s): http://127.0.0.1:{webhook.Url.Port}/*** answered HTTP 500. It is tried again at the next evaluation.",
            failed.Error, StringComparison.Ordinal);
        var log = string.Join('\n', Directory.GetFiles(Path.Combine(cli.Folder, "logs")).Select(File.ReadAllText));
        Assert.Contains("not sent after 4 attempt(s)", log, StringComparison.Ordinal);

        webhook.Status = HttpStatusCode.OK;
        var sent = await cli.RunAsync("alerts");
        Assert.Equal(1, sent.ExitCode);
        Assert.Equal(5, webhook.Posts.Count);
        Assert.Contains("webhook: firing BackfillFailureRateHigh{dataset=\"tiny\"} sent.", sent.Out, StringComparison.Ordinal);
        NoSecretIn(cli, webhook, failed, sent);
    }

    [Fact]
    public async Task A_webhook_slower_than_its_timeout_is_abandoned_each_attempt_and_reported()
    {
        using var webhook = new WebhookReceiver { Delay = TimeSpan.FromSeconds(30) };
        using var cli = NewRunner(webhook);
        cli.Env["BACKFILL_ALERTS_WEBHOOKTIMEOUTSECONDS"] = "1";
        await FailAsync(cli, "tiny", new DateOnly(2024, 12, 30));

        var result = await cli.RunAsync("alerts");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(4, webhook.Posts.Count);
        Assert.Contains($"was not sent after 4 attempt(s): http://127.0.0.1:{webhook.Url.Port}/*** did not answer within 1 s.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_that_fails_never_changes_a_processing_commands_exit_code()
    {
        using var webhook = new WebhookReceiver { Status = HttpStatusCode.BadGateway };
        using var cli = NewRunner(webhook);
        await FailAsync(cli, "tiny", new DateOnly(2024, 12, 29));

        var run = await cli.RunAsync("--dataset", "tiny", "process", "2024-12-30", "--set", "processing.startDate=2024-12-01");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("warning: alerts: the firing alert BackfillFailureRateHigh{dataset=\"tiny\"} was not sent:", run.Error, StringComparison.Ordinal);
        Assert.Equal(4, webhook.Posts.Count);
        NoSecretIn(cli, webhook, run);
    }

    [Fact]
    public async Task Without_a_webhook_alerts_only_evaluates_and_a_processing_command_sends_nothing()
    {
        using var cli = NewRunner(null);
        var quiet = await cli.RunAsync("alerts");
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Contains("No alert fires.", quiet.Out, StringComparison.Ordinal);

        await FailAsync(cli, "tiny", new DateOnly(2024, 12, 30));
        var csv = await cli.RunAsync("alerts", "--format", "csv");
        Assert.Equal(1, csv.ExitCode);
        Assert.StartsWith("alert,subject,severity,state,value,threshold,since,summary", csv.Out, StringComparison.Ordinal);
        Assert.Contains("BackfillFailureRateHigh,tiny,critical,firing,1,0.05,", csv.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_webhook_url_is_a_credential_never_stored_and_shown_only_as_its_host()
    {
        using var webhook = new WebhookReceiver();
        using var cli = NewRunner(webhook);
        var secret = WebhookReceiver.SecretPath.Split('/')[^1];

        var set = await cli.RunAsync("config", "set", "alerts.webhookUrl", webhook.Url.AbsoluteUri);
        Assert.Equal(2, set.ExitCode);
        Assert.Contains("alerts.webhookUrl carries a credential in its URL, so it is never stored in the ledger. Set BACKFILL_ALERTS_WEBHOOKURL", set.Error, StringComparison.Ordinal);

        var get = await cli.RunAsync("config", "get", "alerts.webhookUrl", "--format", "json");
        Assert.Equal(0, get.ExitCode);
        Assert.Contains($"http://127.0.0.1:{webhook.Url.Port}/***", get.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, get.Out + get.Error, StringComparison.Ordinal);

        cli.Env["BACKFILL_ALERTS_WEBHOOKURL"] = "ftp://hooks.example/services/" + secret;
        var bad = await cli.RunAsync("alerts");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("alerts.webhookUrl: 'ftp://hooks.example/***' is not an http(s) URL.", bad.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, bad.Out + bad.Error, StringComparison.Ordinal);

        cli.Env["BACKFILL_ALERTS_WEBHOOKURL"] = $"https://user:{secret}@hooks.example/x";
        var credentials = await cli.RunAsync("alerts");
        Assert.Equal(2, credentials.ExitCode);
        Assert.Contains("alerts.webhookUrl: the URL must not carry credentials.", credentials.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, credentials.Out + credentials.Error, StringComparison.Ordinal);

        cli.Env["BACKFILL_ALERTS_REPEATINTERVAL"] = "soon";
        cli.Env.Remove("BACKFILL_ALERTS_WEBHOOKURL");
        var repeat = await cli.RunAsync("alerts");
        Assert.Equal(2, repeat.ExitCode);
        Assert.Contains("alerts.repeatInterval: 'soon' is not a duration. Use a number and a unit: 30m, 4h or 1d.", repeat.Error, StringComparison.Ordinal);
    }
}
