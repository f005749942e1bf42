using Backfill.Ledger.Model;

namespace Backfill.Ledger.Tests;

/// <summary>The monitoring's reads and the alert state, on every database.</summary>
public abstract partial class LedgerContractTests
{
    [Fact]
    public async Task Activity_counts_ended_attempts_by_outcome_errors_by_kind_and_requests_inside_the_window_only()
    {
        await using var t = await CreateAsync();
        var l = t.Ledger;

        // An old success, outside the window: it counts only as the last success.
        Assert.NotNull(await l.TryClaimUnitAsync("spx", Day, "w", TimeSpan.FromHours(1), false, Ct));
        await l.UpdateProgressAsync("spx", Day, "w", 1, 1, 7, Ct);
        await l.CompleteUnitAsync("spx", Day, "w", Success(7), Ct);
        var oldSuccess = t.Clock.GetUtcNow();
        await l.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = Day, ErrorType = "ConnectionFailed", Message = "old" }, Ct);
        t.Clock.Advance(TimeSpan.FromHours(3));
        var since = t.Clock.GetUtcNow();

        // Inside the window: one failed and one interrupted attempt, three errors of two kinds, 5 + 4 requests.
        var day2 = Day.AddDays(1);
        Assert.NotNull(await l.TryClaimUnitAsync("spx", day2, "w", TimeSpan.FromHours(1), false, Ct));
        await l.UpdateProgressAsync("spx", day2, "w", 2, 0, 5, Ct);
        await l.FailUnitAsync("spx", day2, "w", "RateLimited", "429", Ct);
        var day3 = Day.AddDays(2);
        Assert.NotNull(await l.TryClaimUnitAsync("spx", day3, "w", TimeSpan.FromHours(1), false, Ct));
        await l.UpdateProgressAsync("spx", day3, "w", 2, 1, 4, Ct);
        await l.InterruptUnitAsync("spx", day3, "w", "stopped", Ct);
        foreach (var kind in new[] { "RateLimited", "RateLimited", "ConnectionFailed" })
        {
            await l.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = day2, ErrorType = kind, Message = "x" }, Ct);
        }

        // Another dataset's rows never count.
        Assert.NotNull(await l.TryClaimUnitAsync("fop", day2, "w", TimeSpan.FromHours(1), false, Ct));
        await l.FailUnitAsync("fop", day2, "w", "ServerError", "500", Ct);

        var activity = await l.GetActivityAsync("spx", since, Ct);
        Assert.Equal((0, 1, 1), (activity.Attempts("success"), activity.Attempts("failed"), activity.Attempts("interrupted")));
        Assert.Equal(new Dictionary<string, int> { ["RateLimited"] = 2, ["ConnectionFailed"] = 1 }, activity.ErrorsByKind);
        Assert.Equal(9, activity.SourceRequests);
        Assert.Equal(oldSuccess, activity.LastSuccessAt);

        var all = await l.GetActivityAsync("spx", since.AddDays(-1), Ct);
        Assert.Equal(1, all.Attempts("success"));
        Assert.Equal(2, all.ErrorsByKind["ConnectionFailed"]);

        var none = await l.GetActivityAsync("ohlcv", since, Ct);
        Assert.Empty(none.AttemptsByOutcome);
        Assert.Empty(none.ErrorsByKind);
        Assert.Equal((0L, (DateTimeOffset?)null), (none.SourceRequests, none.LastSuccessAt));
    }

    [Fact]
    public async Task An_alert_state_is_stored_replaced_and_listed_by_key()
    {
        await using var t = await CreateAsync();
        var now = t.Clock.GetUtcNow();
        Assert.Empty(await t.Ledger.ListAlertStatesAsync(Ct));
        await t.Ledger.SaveAlertStateAsync(new AlertStateRecord("b{dataset=spx}", "pending", now, null, null, "pending one", now), Ct);
        await t.Ledger.SaveAlertStateAsync(new AlertStateRecord("a{folder=output}", "firing", now, now, "firing", "disk", now), Ct);
        var later = now.AddMinutes(20);
        await t.Ledger.SaveAlertStateAsync(new AlertStateRecord("b{dataset=spx}", "firing", now, later, "firing", "firing now", later), Ct);

        await using var second = t.OpenSecond();
        var states = await second.ListAlertStatesAsync(Ct);
        Assert.Equal(["a{folder=output}", "b{dataset=spx}"], states.Select(s => s.Key));
        Assert.Equal(new AlertStateRecord("b{dataset=spx}", "firing", now, later, "firing", "firing now", later), states[1]);
        await t.Ledger.SaveAlertStateAsync(states[1] with { State = "inactive", ActiveSince = null, LastSentState = "resolved" }, Ct);
        var resolved = (await t.Ledger.ListAlertStatesAsync(Ct))[1];
        Assert.Equal(("inactive", (DateTimeOffset?)null, "resolved"), (resolved.State, resolved.ActiveSince, resolved.LastSentState));
    }

    private static UnitSuccess Success(long requests) => new()
    {
        FilePath = "/out/x.parquet", FileSize = 10, FileSha256 = new string('a', 64), RowCount = 1, ApiRequests = requests,
    };
}
