using Backfill.Engine.Alerts;
using Backfill.Engine.Gaps;
using Backfill.Engine.Health;
using Backfill.Engine.Status;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;

namespace Backfill.Engine.Tests.Alerts;

/// <summary>The alert rules over observations, the state that makes an alert pending, firing, repeated and resolved, and /proc readings.</summary>
public sealed class AlertRulesTests
{
    private static readonly DateTimeOffset Now = new(2024, 6, 18, 23, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LedgerActivity Activity(int success = 0, int failed = 0, long requests = 0, Dictionary<string, int>? errors = null) =>
        new("spx", Now.AddHours(-24), new Dictionary<string, int> { ["success"] = success, ["failed"] = failed }, errors ?? [], requests, Now.AddHours(-1));

    private static DatasetObservation Dataset(LedgerActivity? hour = null, LedgerActivity? day = null, int longestRun = 0, int? sinceSuccess = 0) =>
        new("spx", true, new Dictionary<UnitStatus, int>(), Enum.GetValues<GapCategory>().ToDictionary(c => c, _ => 0), 10, 10, longestRun, null, sinceSuccess,
            hour ?? Activity(), day ?? Activity(), null, 0);

    private static Observations Observe(DatasetObservation dataset, double freeRatio = 0.5, double? memory = 0.5, double? cpu = 0.5)
    {
        var disk = new DiskState("/data", new DiskUsage("/data", "/", (long)(freeRatio * 1000), 1000), null);
        return new Observations(Now, [dataset], new MachineObservation(disk, disk, new MachineUsage(memory, cpu)));
    }

    private static AlertCheck Check(IReadOnlyList<AlertCheck> checks, string name, string? subject = "spx") =>
        checks.Single(c => c.Name == name && (subject is null || c.Subject == subject));

    [Theory]
    [InlineData(19, 1, false)] // 5 %: not above
    [InlineData(18, 1, true)]  // 5.3 %
    [InlineData(0, 0, false)]  // nothing finished: no rate at all
    [InlineData(0, 1, true)]
    public void The_failure_rate_fires_above_five_percent_of_the_finished_attempts_of_24_hours(int success, int failed, bool fires)
    {
        var check = Check(AlertRules.Evaluate(Observe(Dataset(day: Activity(success, failed))), new AlertThresholds()), AlertRules.FailureRateHigh);
        Assert.Equal(fires, check.Active);
        Assert.Equal("critical", check.Severity);
        Assert.Equal("BackfillFailureRateHigh{dataset=\"spx\"}", check.Key);
    }

    [Fact]
    public void Consecutive_missing_sessions_no_recent_success_connectivity_disk_and_resources_fire_past_their_thresholds()
    {
        var hour = Activity(requests: 20, errors: new() { ["ConnectionFailed"] = 2, ["ServerError"] = 1, ["RateLimited"] = 9 });
        var checks = AlertRules.Evaluate(Observe(Dataset(hour, longestRun: 4, sinceSuccess: 3), freeRatio: 0.19, memory: 0.91, cpu: 0.9), new AlertThresholds());
        Assert.True(Check(checks, AlertRules.ConsecutiveMissingSessions).Active);
        Assert.True(Check(checks, AlertRules.NoRecentSuccess).Active);
        var connectivity = Check(checks, AlertRules.SourceConnectivityFailures);
        Assert.Equal((true, 0.15), (connectivity.Active, connectivity.Value));
        Assert.True(Check(checks, AlertRules.DiskSpaceLow, "output").Active);
        Assert.True(Check(checks, AlertRules.DiskSpaceLow, "temp").Active);
        var memory = Check(checks, AlertRules.MemoryHigh, "machine");
        Assert.Equal((true, TimeSpan.FromMinutes(15)), (memory.Active, memory.For));
        Assert.False(Check(checks, AlertRules.CpuHigh, "machine").Active);

        var quiet = AlertRules.Evaluate(Observe(Dataset(Activity(requests: 20, errors: new() { ["ConnectionFailed"] = 2 }), longestRun: 3, sinceSuccess: 2), freeRatio: 0.2, memory: null, cpu: null), new AlertThresholds());
        Assert.DoesNotContain(quiet, c => c.Active);
        Assert.Equal("the machine's memory cannot be measured here.", Check(quiet, AlertRules.MemoryHigh, "machine").Summary);
    }

    [Fact]
    public async Task An_alert_is_pending_until_its_for_has_passed_then_fires_is_repeated_after_the_interval_and_resolves_once()
    {
        using var folder = new Backfill.Tests.Shared.TempDirectory();
        var clock = new Clock(Now);
        await using var ledger = new SqliteLedger(folder.Combine("b.db"), clock);
        await ledger.MigrateAsync(Ct);
        var evaluator = new AlertEvaluator(ledger, clock);
        var repeat = TimeSpan.FromHours(4);
        AlertCheck Memory(bool active) => new(AlertRules.MemoryHigh, [], "warning", active, active ? 0.95 : 0.5, 0.9, TimeSpan.FromMinutes(15), "memory");

        var first = await evaluator.EvaluateAsync([Memory(true)], repeat, Ct);
        Assert.Equal((AlertStatus.Pending, 0), (first.Alerts[0].State, first.Due.Count));
        clock.Now = Now.AddMinutes(15);
        var firing = await evaluator.EvaluateAsync([Memory(true)], repeat, Ct);
        Assert.Equal((AlertStatus.Firing, Now), (firing.Alerts[0].State, firing.Alerts[0].ActiveSince));
        var notice = Assert.Single(firing.Due);
        Assert.Equal(AlertStatus.Firing, notice.Transition);

        // Not marked sent (the webhook failed): due again at the next evaluation.
        clock.Now = Now.AddMinutes(16);
        Assert.Single((await evaluator.EvaluateAsync([Memory(true)], repeat, Ct)).Due);
        await evaluator.MarkSentAsync(notice, Ct);
        clock.Now = Now.AddHours(4).AddMinutes(15);
        Assert.Empty((await evaluator.EvaluateAsync([Memory(true)], repeat, Ct)).Due);
        clock.Now = Now.AddHours(4).AddMinutes(17);
        var repeated = Assert.Single((await evaluator.EvaluateAsync([Memory(true)], repeat, Ct)).Due);
        await evaluator.MarkSentAsync(repeated, Ct);

        var cleared = await evaluator.EvaluateAsync([Memory(false)], repeat, Ct);
        var resolved = Assert.Single(cleared.Due);
        Assert.Equal((AlertStatus.Resolved, AlertStatus.Inactive), (resolved.Transition, resolved.Alert.State));
        await evaluator.MarkSentAsync(resolved, Ct);
        Assert.Empty((await evaluator.EvaluateAsync([Memory(false)], repeat, Ct)).Due);

        // A dip below the threshold starts the "for" again.
        var again = await evaluator.EvaluateAsync([Memory(true)], repeat, Ct);
        Assert.Equal(AlertStatus.Pending, again.Alerts[0].State);
    }

    [Fact]
    public void The_longest_run_counts_consecutive_sessions_only()
    {
        var sessions = Enumerable.Range(0, 10).Select(i => new DateOnly(2024, 6, 3).AddDays(i)).ToList();
        Assert.Equal(0, Observations.LongestRun(sessions, new HashSet<DateOnly>()));
        Assert.Equal(3, Observations.LongestRun(sessions, new HashSet<DateOnly> { sessions[1], sessions[2], sessions[3], sessions[5], sessions[9] }));
        Assert.Equal(10, Observations.LongestRun(sessions, sessions.ToHashSet()));
    }

    [Fact]
    public void Cpu_use_is_the_share_of_jiffies_not_idle_or_waiting_between_two_reads_of_proc_stat()
    {
        using var folder = new Backfill.Tests.Shared.TempDirectory();
        var stat = folder.Combine("stat");
        File.WriteAllText(stat, "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n");
        var before = MachineUsage.ReadCpu(stat);
        Assert.Equal((1000L, 800L), before);
        File.WriteAllText(stat, "cpu  250 0 250 750 150 0 0 0 0 0\n");
        Assert.Equal(0.75, MachineUsage.CpuBusy(before!.Value, MachineUsage.ReadCpu(stat)));
        Assert.Null(MachineUsage.CpuBusy(before.Value, before));
        Assert.Null(MachineUsage.ReadCpu(folder.Combine("missing")));
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
