using System.Text;
using Backfill.Core.Errors;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>What <see cref="FopExport"/> stitched: the CSV text, the dates and option columns in it, and the sessions it lacked.</summary>
public sealed record FopExportResult(string Csv, IReadOnlyList<DateOnly> Dates, IReadOnlyList<string> Options, IReadOnlyList<DateOnly> MissingSessions);

/// <summary>
/// Stitches the per-date reference CSVs of the <c>fop</c> dataset over a range into one CSV in the same layout:
/// <c>timestamp,Futures_Price,&lt;option&gt;...</c>, one row per date in order, option columns in the order they first
/// appear, and an empty cell where an option is not alive (or had no price) that date. Only dates the ledger holds as
/// done are used, and each CSV must still hash to the checksum the ledger recorded for it.
/// </summary>
public sealed class FopExport(ILedger ledger)
{
    public async Task<FopExportResult> BuildAsync(string dataset, IOutputStore store, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var units = (await ledger.ListUnitsAsync(dataset, from, to, UnitStatus.Success, cancellationToken)).OrderBy(u => u.TradeDate).ToList();
        var sessions = Core.Calendars.CmeEnergyCalendar.Instance.SessionsBetween(from, to);
        var done = units.Select(u => u.TradeDate).ToHashSet();
        var missing = sessions.Where(s => !done.Contains(s)).ToList();
        if (units.Count == 0)
        {
            throw new InvalidInputException(
                $"No {dataset} date between {from:yyyy-MM-dd} and {to:yyyy-MM-dd} is done, so there is nothing to export. See 'backfill --dataset {dataset} gaps --from {from:yyyy-MM-dd} --to {to:yyyy-MM-dd}'.");
        }

        var days = new List<(DateOnly Date, string Futures, Dictionary<string, string> Options)>();
        var columns = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var unit in units)
        {
            var csvKey = FopDataset.OutputLayout.CompanionKeyFor(unit.TradeDate, FopDayProducer.CsvExtension);
            var csvPath = store.LocationOf(csvKey);
            if (await store.StatAsync(csvKey, cancellationToken) is null)
            {
                throw new FileCorruptionException(
                    $"{unit.TradeDate:yyyy-MM-dd}: '{csvPath}' is missing. Run 'backfill --dataset {dataset} verify --deep' and 'retry {unit.TradeDate:yyyy-MM-dd} --force'.");
            }

            byte[] bytes;
            using (var local = await store.OpenLocalAsync(csvKey, cancellationToken))
            {
                bytes = await File.ReadAllBytesAsync(local.Path, cancellationToken);
            }

            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            if (unit.ContentSha256 is { } expected && !string.Equals(expected, sha, StringComparison.OrdinalIgnoreCase))
            {
                throw new FileCorruptionException(
                    $"{unit.TradeDate:yyyy-MM-dd}: '{csvPath}' has SHA-256 {sha}, the ledger expects {expected}. Run 'backfill --dataset {dataset} verify --deep'.");
            }

            var (futures, options) = Parse(csvPath, Encoding.UTF8.GetString(bytes), unit.TradeDate);
            foreach (var symbol in options.Keys.Where(seen.Add))
            {
                columns.Add(symbol);
            }

            days.Add((unit.TradeDate, futures, options));
        }

        var csv = new StringBuilder("timestamp,Futures_Price");
        foreach (var column in columns)
        {
            csv.Append(',').Append(column);
        }

        csv.Append('\n');
        foreach (var (date, futures, options) in days)
        {
            csv.Append(FopOutput.ReferenceDate(date)).Append(',').Append(futures);
            foreach (var column in columns)
            {
                csv.Append(',').Append(options.TryGetValue(column, out var price) ? price : string.Empty);
            }

            csv.Append('\n');
        }

        return new FopExportResult(csv.ToString(), [.. days.Select(d => d.Date)], columns, missing);
    }

    private static (string Futures, Dictionary<string, string> Options) Parse(string path, string csv, DateOnly date)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 2)
        {
            throw new FileCorruptionException($"'{path}' should hold a header and one row, it has {lines.Length} line(s).");
        }

        var header = lines[0].Split(',');
        var cells = lines[1].Split(',');
        if (header.Length < 2 || header[0] != "timestamp" || header[1] != "Futures_Price" || cells.Length != header.Length)
        {
            throw new FileCorruptionException($"'{path}' is not in the reference layout (timestamp,Futures_Price,<options>... with as many cells as columns).");
        }

        if (cells[0] != FopOutput.ReferenceDate(date))
        {
            throw new FileCorruptionException($"'{path}' is dated '{cells[0]}', expected '{FopOutput.ReferenceDate(date)}'.");
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 2; i < header.Length; i++)
        {
            if (!options.TryAdd(header[i], cells[i]))
            {
                throw new FileCorruptionException($"'{path}' lists {header[i]} twice.");
            }
        }

        return (cells[1], options);
    }
}
