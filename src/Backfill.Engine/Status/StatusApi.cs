using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Datasets;
using Backfill.Engine.Gaps;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Operations.Server;

namespace Backfill.Engine.Status;

/// <summary>
/// The JSON the status page reads, computed from the ledger through <see cref="ILedger"/> (SQLite or PostgreSQL alike),
/// for every registered dataset.
/// </summary>
public sealed class StatusApi(ILedger ledger, DatasetRegistry datasets, int retryLimit, DateOnly? startDate, TimeProvider time) : IStatusSource
{
    public const int MaxDays = 3660;

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
            datasets = datasets.All.Select(d => d.Name),
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
        var from = fromText is null ? Max(to.AddDays(-364), startDate ?? DateOnly.MinValue) : DateInput.ParseDate(fromText, "from", today);
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
        var report = GapAnalyzer.Analyze(dataset.Name, calendar, from, to < latest ? to : latest, [.. units.Values], retryLimit, now);
        var days = new List<object>(to.DayNumber - from.DayNumber + 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            units.TryGetValue(day, out var unit);
            var state = State(calendar.IsSession(day), day > latest, unit, now);
            counts[state] = counts.GetValueOrDefault(state) + 1;
            days.Add(new { date = day, state, status = unit?.Status.ToString().ToLowerInvariant(), attempts = unit?.AttemptCount, error = unit?.LastErrorType });
        }

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
}
