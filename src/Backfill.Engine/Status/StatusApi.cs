using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Engine.Gaps;
using Backfill.Engine.Health;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Operations.Server;

namespace Backfill.Engine.Status;

/// <summary>
/// The JSON the status page reads, computed from the ledger through <see cref="ILedger"/> (SQLite or PostgreSQL alike),
/// for every registered dataset. A done date counts as done only while its output is in the store, as in <c>gaps</c>.
/// </summary>
public sealed class StatusApi(ILedger ledger, DatasetRegistry datasets, EffectiveSettings settings, TimeProvider time) : IStatusSource
{
    public const int MaxDays = 3660;

    private readonly int _retryLimit = settings.RetryLimit;
    private readonly DateOnly? _startDate = settings.StartDate;

    private IDataset Dataset(string? name) => datasets.Get(string.IsNullOrWhiteSpace(name) ? DatasetRegistry.DefaultName : name);

    public async Task<object> StatusAsync(string? name, CancellationToken ct)
    {
        var dataset = Dataset(name);
        var summary = await ledger.GetSummaryAsync(dataset.Name, ct);
        return new
        {
            dataset = dataset.Name,
            description = dataset.Description,
            source = dataset.Source,
            calendar = dataset.Calendar.Name,
            ledger = ledger.Description,
            schemaVersion = await ledger.GetSchemaVersionAsync(ct),
            counts = Enum.GetValues<UnitStatus>().ToDictionary(s => s.ToString().ToLowerInvariant(), s => summary.Counts.GetValueOrDefault(s)),
            firstSuccess = summary.FirstSuccess,
            lastSuccess = summary.LastSuccess,
            totalRows = summary.TotalRows,
            totalBytes = summary.TotalBytes,
            lastActivity = summary.LastActivity,
            errorsLast24h = summary.ErrorsLast24h,
            datasets = datasets.Expand(settings).Select(d => d.Name),
        };
    }

    public async Task<object> HistoryAsync(string? name, int limit, CancellationToken ct)
    {
        var dataset = Dataset(name);
        var units = await ledger.ListUnitsAsync(dataset.Name, null, null, null, ct);
        return new
        {
            dataset = dataset.Name,
            units = units.OrderByDescending(u => u.UpdatedAt).Take(limit).Select(u => new
            {
                date = u.TradeDate,
                status = u.Status.ToString().ToLowerInvariant(),
                attempts = u.AttemptCount,
                rows = u.RowCount,
                bytes = u.FileSize,
                durationMs = u.DurationMs,
                rowsPerSecond = RowsPerSecond(u),
                quality = u.QualityScore,
                startedAt = u.StartedAt,
                completedAt = u.CompletedAt,
                updatedAt = u.UpdatedAt,
                owner = u.Owner,
                error = u.LastErrorType,
                message = u.LastErrorMessage,
            }),
        };
    }

    /// <summary>Every calendar day of the range with its state: done, failed, missing, processing or non-trading.</summary>
    public async Task<object> GapsAsync(string? name, string? fromText, string? toText, CancellationToken ct)
    {
        var dataset = Dataset(name);
        var calendar = dataset.Calendar;
        var now = time.GetUtcNow();
        var latest = GapAnalyzer.LatestCompleteSession(calendar, now);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, calendar.TimeZone).DateTime);
        var to = toText is null ? latest : DateInput.ParseDate(toText, "to", today);
        var from = fromText is null ? Max(to.AddDays(-364), _startDate ?? DateOnly.MinValue) : DateInput.ParseDate(fromText, "from", today);
        from = Max(from, calendar.FirstDate);
        to = to > calendar.LastDate ? calendar.LastDate : to;
        if (from > to)
        {
            throw new InvalidInputException($"from {from:yyyy-MM-dd} is after to {to:yyyy-MM-dd}.");
        }

        if (to.DayNumber - from.DayNumber >= MaxDays)
        {
            throw new InvalidInputException($"The range {from:yyyy-MM-dd} .. {to:yyyy-MM-dd} is over {MaxDays} days; ask for a shorter one.");
        }

        var units = (await ledger.ListUnitsAsync(dataset.Name, from, to, null, ct)).ToDictionary(u => u.TradeDate);
        var stored = await StoredAsync(dataset, ct);
        var report = GapAnalyzer.Analyze(dataset.Name, calendar, from, to < latest ? to : latest, [.. units.Values], _retryLimit, now, stored);
        var (counts, days) = Days(calendar, from, to, latest, units, stored, now);
        return new
        {
            dataset = dataset.Name,
            calendar = calendar.Name,
            from,
            to,
            sessions = report.Sessions,
            gaps = report.Gaps.Count,
            counts,
            days,
        };
    }

    /// <inheritdoc/>
    public async Task<object> YearAsync(string? name, int? year, CancellationToken ct)
    {
        var dataset = Dataset(name);
        var calendar = dataset.Calendar;
        var now = time.GetUtcNow();
        var latest = GapAnalyzer.LatestCompleteSession(calendar, now);
        var all = await ledger.ListUnitsAsync(dataset.Name, null, null, null, ct);

        // The backfill's range: the configured start (or, unset, the first date the ledger holds) to the latest complete session.
        var start = _startDate ?? (all.Count > 0 ? all[0].TradeDate : latest);
        var from = Max(start, calendar.FirstDate);
        var to = latest > calendar.LastDate ? calendar.LastDate : latest;
        var empty = from > to;
        if (empty)
        {
            to = from;
        }

        var shown = year ?? to.Year;
        if (shown < from.Year || shown > to.Year)
        {
            throw new InvalidInputException(
                $"year {shown} is outside {dataset.Name}'s range {from:yyyy-MM-dd} .. {to:yyyy-MM-dd}; ask for a year from {from.Year} to {to.Year}.");
        }

        var yearFrom = Max(from, new DateOnly(shown, 1, 1));
        var yearTo = Min(to, new DateOnly(shown, 12, 31));
        var stored = await StoredAsync(dataset, ct);
        var inRange = all.Where(u => u.TradeDate >= from && u.TradeDate <= to).ToList();
        var range = empty ? null : GapAnalyzer.Analyze(dataset.Name, calendar, from, to, inRange, _retryLimit, now, stored);
        var yearReport = empty ? null : GapAnalyzer.Analyze(dataset.Name, calendar, yearFrom, yearTo,
            [.. inRange.Where(u => u.TradeDate >= yearFrom && u.TradeDate <= yearTo)], _retryLimit, now, stored);
        var (counts, days) = empty
            ? (new Dictionary<string, int>(StringComparer.Ordinal), [])
            : Days(calendar, yearFrom, yearTo, latest, inRange.ToDictionary(u => u.TradeDate), stored, now);
        return new
        {
            dataset = dataset.Name,
            calendar = calendar.Name,
            range = new
            {
                from,
                to,
                startDateSet = _startDate is not null,
                firstYear = from.Year,
                lastYear = to.Year,
                empty,
                sessions = range?.Sessions ?? 0,
                done = range?.Succeeded ?? 0,
                inProgress = range?.InProgress ?? 0,
                gaps = range?.Gaps.Count ?? 0,
            },
            year = shown,
            from = yearFrom,
            to = yearTo,
            sessions = yearReport?.Sessions ?? 0,
            done = yearReport?.Succeeded ?? 0,
            inProgress = yearReport?.InProgress ?? 0,
            gaps = yearReport?.Gaps.Count ?? 0,
            counts,
            days,
        };
    }

    /// <inheritdoc/>
    public async Task<Readiness> ReadinessAsync(CancellationToken ct)
    {
        var ledgerCheck = LedgerReadinessAsync(ct);
        var output = Task.Run(() => OutputReadiness(settings.OutputDirectory), ct);
        var disk = Task.Run(() => DiskReadiness(DiskState.Measure(settings.OutputDirectory), DiskState.Measure(settings.TempDirectory)), ct);
        return new Readiness([await ledgerCheck, await output, await disk]);
    }

    private async Task<ReadinessCheck> LedgerReadinessAsync(CancellationToken ct)
    {
        try
        {
            var state = await LedgerState.ReadAsync(ledger, ct);
            var facts = new Dictionary<string, object?>
            {
                ["reachable"] = true, ["kind"] = state.Kind, ["description"] = state.Description,
                ["schemaVersion"] = state.SchemaVersion, ["expectedSchemaVersion"] = state.ExpectedSchemaVersion,
            };
            return state.Current
                ? new ReadinessCheck("ledger", true, $"{state.Description}: reachable, schema version {state.SchemaVersion}.", facts)
                : new ReadinessCheck("ledger", false,
                    $"the ledger's schema is version {state.SchemaVersion}, this build expects {state.ExpectedSchemaVersion}: run any backfill command to migrate it.", facts);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ReadinessCheck("ledger", false, "the ledger is unreachable: " + Ledger.Postgres.PostgresUrl.MaskPasswords(e.Message),
                new Dictionary<string, object?> { ["reachable"] = false, ["kind"] = LedgerFactory.Kind(ledger), ["description"] = ledger.Description });
        }
    }

    private static ReadinessCheck OutputReadiness(string folder)
    {
        var exists = Directory.Exists(folder);
        string? problem = null;
        bool writable;
        if (exists)
        {
            writable = HealthChecker.IsWritable(folder, out problem);
            if (writable && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(folder) & NotOwner) != 0)
            {
                problem = $"mode 0{Convert.ToString((int)File.GetUnixFileMode(folder) & 0xFFF, 8)}: output folders should be owner-only. Fix: chmod 700 '{folder}'.";
            }
        }
        else
        {
            // Not there yet: the first publish creates it, if the nearest existing folder above it takes new entries.
            var parent = Path.GetDirectoryName(Path.GetFullPath(folder));
            while (parent is not null && !Directory.Exists(parent))
            {
                parent = Path.GetDirectoryName(parent);
            }

            writable = parent is not null && !File.Exists(folder) && HealthChecker.IsWritable(parent, out problem);
            problem ??= File.Exists(folder) ? $"{folder} is a file, not a folder. Choose another output folder (backfill config set output.directory PATH)." : null;
        }

        var facts = new Dictionary<string, object?> { ["folder"] = folder, ["exists"] = exists, ["writable"] = writable, ["permissionProblem"] = problem };
        var detail = (exists, writable) switch
        {
            (true, true) => problem is null ? $"{folder} exists and is writable." : $"{folder} is writable, but {problem}",
            (true, false) => $"{folder} is not writable: {problem}",
            (false, true) => $"{folder} does not exist yet; the first publish creates it.",
            _ => $"{folder} does not exist and cannot be created: {problem}",
        };
        return new ReadinessCheck("outputStore", writable, detail, facts);
    }

    private static ReadinessCheck DiskReadiness(DiskState output, DiskState temp)
    {
        static object Facts(DiskState d) => new { folder = d.Folder, freeBytes = d.Usage?.FreeBytes, freePercent = d.Usage?.FreePercent, problem = d.Problem };
        var low = new[] { ("output", output), ("temp", temp) }
            .Where(d => d.Item2.Usage is null || d.Item2.Usage.FreeBytes < HealthChecker.FailBelowBytes)
            .Select(d => d.Item2.Usage is null
                ? $"the {d.Item1} folder's disk cannot be measured: {d.Item2.Problem}"
                : $"{d.Item2.Usage.FreeBytes / (1024.0 * 1024):0} MB free at the {d.Item1} folder, below {HealthChecker.FailBelowBytes / (1024 * 1024)} MB")
            .ToList();
        var facts = new Dictionary<string, object?> { ["output"] = Facts(output), ["temp"] = Facts(temp) };
        return low.Count == 0
            ? new ReadinessCheck("disk", true, $"{output.Usage!.FreePercent} % free at the output folder, {temp.Usage!.FreePercent} % at the temp folder.", facts)
            : new ReadinessCheck("disk", false, string.Join("; ", low) + ". Free space or choose another folder.", facts);
    }

    private const UnixFileMode NotOwner =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>A check that a done unit's output is still in the store, as <c>gaps</c> does it.</summary>
    private async Task<Func<UnitRecord, bool>> StoredAsync(IDataset dataset, CancellationToken ct)
    {
        var store = EnginePaths.OutputStore(settings, dataset.Name);
        var keys = await GapAnalyzer.StoredOutputsAsync(dataset, store, ct);
        return unit => unit.FilePath is { } path && store.KeyOf(path) is { } key && keys.Contains(key);
    }

    private static (Dictionary<string, int> Counts, List<object> Days) Days(
        Core.Calendars.ITradingCalendar calendar, DateOnly from, DateOnly to, DateOnly latest,
        Dictionary<DateOnly, UnitRecord> units, Func<UnitRecord, bool> stored, DateTimeOffset now)
    {
        var days = new List<object>(to.DayNumber - from.DayNumber + 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            units.TryGetValue(day, out var unit);
            var outputMissing = unit is { Status: UnitStatus.Success } && !stored(unit);
            var state = outputMissing && calendar.IsSession(day) ? "missing" : State(calendar.IsSession(day), day > latest, unit, now);
            counts[state] = counts.GetValueOrDefault(state) + 1;
            days.Add(new
            {
                date = day, state, status = unit?.Status.ToString().ToLowerInvariant(), attempts = unit?.AttemptCount,
                error = outputMissing ? "MissingOutput" : unit?.LastErrorType,
            });
        }

        return (counts, days);
    }

    public async Task<object> ThroughputAsync(string? name, int limit, CancellationToken ct)
    {
        var dataset = Dataset(name);
        var units = await ledger.ListUnitsAsync(dataset.Name, null, null, UnitStatus.Success, ct);
        return new
        {
            dataset = dataset.Name,
            points = units.Where(u => u.CompletedAt is not null && RowsPerSecond(u) is not null)
                .OrderBy(u => u.CompletedAt).TakeLast(limit)
                .Select(u => new { date = u.TradeDate, completedAt = u.CompletedAt, rows = u.RowCount, durationMs = u.DurationMs, rowsPerSecond = RowsPerSecond(u) }),
        };
    }

    private static string State(bool session, bool notComplete, UnitRecord? unit, DateTimeOffset now) => unit?.Status switch
    {
        _ when !session => "non-trading",
        UnitStatus.Success => "done",
        UnitStatus.Failed => "failed",
        UnitStatus.Processing when unit.LeaseExpiresAt > now => "processing",
        _ when notComplete => "pending",
        _ => "missing",
    };

    private static double? RowsPerSecond(UnitRecord unit) =>
        unit is { RowCount: { } rows, DurationMs: { } ms } && ms > 0 ? Math.Round(rows / (ms / 1000.0), 1) : null;

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;
}
