using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backfill.Core.Calendars;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Engine.Health;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Ledger.Model;
using Backfill.Storage.Layout;
using Backfill.Storage.Outputs;
using Backfill.Storage.Verification;

namespace Backfill.Cli.Tests.TinyDataset;

/// <summary>
/// A fifth dataset that exists only in the tests, to prove that a dataset is one folder: synthetic rows (no vendor),
/// one CSV per UTC day, one setting of its own. Registered with one line:
/// <c>DatasetRegistry.Default.With(new TinyDataset())</c>. Nothing in shared code knows it.
/// </summary>
internal sealed class TinyDataset : IDataset
{
    public const string RowsSetting = "tiny.rowsPerDay";

    public string Name => "tiny";

    public string Description => "Synthetic rows for the tests: one small CSV per UTC day";

    public string Source => "none (generated)";

    public ITradingCalendar Calendar => TradingCalendars.Get("24/7");

    public SubUnitNoun SubUnits { get; } = new("line", "lines");

    public OutputLayout Layout { get; } = new("tiny", "tiny", ".csv");

    public IReadOnlyList<SettingDefinition> Settings { get; } =
    [
        new(RowsSetting, SettingKind.PositiveInt, "3", "tiny: rows written per day.", "3", Max: 1000),
    ];

    public DryRunDefaults DryRun { get; } = new(3, 0, 64, 0.01);

    public IReadOnlyList<string> CheckSettings(EffectiveSettings settings) => [];

    public Task<IUnitProducer> CreateProducerAsync(DatasetHost host, EffectiveSettings settings, ProcessingOptions options, CancellationToken cancellationToken) =>
        Task.FromResult<IUnitProducer>(new Producer(settings.Int(RowsSetting), Layout));

    public Task<(HealthLevel Level, string Detail)> CheckSourceAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken) =>
        Task.FromResult((HealthLevel.Ok, "tiny generates its rows; there is no vendor to ask."));

    public IOutputChecker CreateChecker(DatasetHost? host, EffectiveSettings? settings) => new Checker();

    public IDatasetDemo? Demo => null;

    /// <summary>The rows of one day: a header and <paramref name="rows"/> lines, the same bytes every time.</summary>
    internal static string Csv(DateOnly date, int rows)
    {
        var text = new StringBuilder("date,n,value\n");
        for (var i = 0; i < rows; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{date:yyyy-MM-dd},{i},{(date.DayNumber * 31) + i}\n");
        }

        return text.ToString();
    }

    private sealed class Producer(int rows, OutputLayout layout) : IUnitProducer
    {
        public long RequestsSent => 0;

        public async Task<UnitProduct> ProduceAsync(UnitContext unit, CancellationToken stop, CancellationToken abort)
        {
            var csv = Csv(unit.Date, rows);
            unit.Progress.Plan(rows, 0);
            var published = await unit.Output.PublishAsync(layout.KeyFor(unit.Date), (temp, ct) => File.WriteAllTextAsync(temp, csv, ct), null, abort);
            unit.Progress.AddRows(rows);
            return new UnitProduct
            {
                Output = published,
                ContentSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(csv))),
                Rows = rows,
                SubUnits = rows,
                QualityScore = 1,
                Message = $"{rows} rows",
            };
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Checker : IOutputChecker
    {
        public async Task<VerificationResult> CheckAsync(IOutputStore store, string key, UnitRecord unit, bool deep, CancellationToken cancellationToken)
        {
            if (await store.StatAsync(key, cancellationToken) is not { } found)
            {
                return new VerificationResult(VerificationStatus.Missing, $"'{store.LocationOf(key)}' is missing.");
            }

            if (!string.Equals(found.Sha256, unit.FileSha256, StringComparison.OrdinalIgnoreCase))
            {
                return new VerificationResult(VerificationStatus.ChecksumMismatch, $"'{found.Location}' has SHA-256 {found.Sha256}, the ledger expects {unit.FileSha256}.", found.Sha256);
            }

            var (rows, problem) = await ReadAsync(store, key, unit.TradeDate, cancellationToken);
            if (problem is not null)
            {
                return new VerificationResult(VerificationStatus.MetadataMismatch, $"'{found.Location}': {problem}", found.Sha256, rows);
            }

            return rows == unit.RowCount
                ? new VerificationResult(VerificationStatus.Ok, $"'{found.Location}' ok: {rows} rows.", found.Sha256, rows)
                : new VerificationResult(VerificationStatus.MetadataMismatch, $"'{found.Location}' holds {rows} rows, the ledger expects {unit.RowCount}.", found.Sha256, rows);
        }

        public async Task<OutputIdentity> IdentifyAsync(IOutputStore store, string key, DateOnly date, CancellationToken cancellationToken)
        {
            if (await store.StatAsync(key, cancellationToken) is not { } found)
            {
                return new OutputIdentity(new VerificationResult(VerificationStatus.Missing, $"'{store.LocationOf(key)}' is missing."), null);
            }

            var (rows, problem) = await ReadAsync(store, key, date, cancellationToken);
            if (problem is not null)
            {
                return new OutputIdentity(new VerificationResult(VerificationStatus.MetadataMismatch, $"'{found.Location}': {problem}", found.Sha256, rows), null);
            }

            using var local = await store.OpenLocalAsync(key, cancellationToken);
            var content = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(local.Path, cancellationToken)));
            return new OutputIdentity(
                new VerificationResult(VerificationStatus.Ok, $"'{found.Location}' ok: {rows} rows.", found.Sha256, rows),
                new UnitSuccess { FilePath = found.Location, FileSize = found.SizeBytes, FileSha256 = found.Sha256 ?? string.Empty, ContentSha256 = content, RowCount = rows, SubUnitsTotal = rows });
        }

        /// <summary>Data rows, and a problem when one is not dated <paramref name="date"/>.</summary>
        private static async Task<(int Rows, string? Problem)> ReadAsync(IOutputStore store, string key, DateOnly date, CancellationToken cancellationToken)
        {
            using var local = await store.OpenLocalAsync(key, cancellationToken);
            var lines = await File.ReadAllLinesAsync(local.Path, cancellationToken);
            var prefix = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + ",";
            var wrong = lines.Skip(1).FirstOrDefault(l => !l.StartsWith(prefix, StringComparison.Ordinal));
            return (lines.Length - 1, wrong is null ? null : $"a row is dated '{wrong.Split(',')[0]}', not {date:yyyy-MM-dd}");
        }
    }
}
