using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Configuration;
using Backfill.Engine.Health;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Ledger.Model;
using Backfill.Simulators.AlphaVantage;
using Backfill.Sources.AlphaVantage;
using Backfill.Storage.Layout;
using Backfill.Storage.Outputs;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// <c>ohlcv</c>: daily equity bars for <c>ohlcv.symbols</c> from Alpha Vantage, one AES-256-GCM encrypted CSV per NYSE
/// trading date; a daily request budget counted in the ledger across runs; keys, backups and recovery of its own.
/// </summary>
public sealed class OhlcvDataset : IDataset, IEncryptedOutputs, IBackups, IStatusReporter, IRequestBudgetReporter
{
    public const string DatasetName = "ohlcv";

    public const string DemoFrom = "2025-06-02";
    public const string DemoTo = "2025-06-27";

    /// <summary><c>ohlcv/YYYY/MM/DD/ohlcv-YYYY-MM-DD.csv.enc</c>.</summary>
    public static readonly OutputLayout OutputLayout = new(DatasetName, DatasetName, ".csv.enc");

    public string Name => DatasetName;

    public string Description => "Daily equity OHLCV for a symbol list, one encrypted CSV per NYSE trading date";

    public string Source => "Alpha Vantage query API (TIME_SERIES_DAILY[_ADJUSTED])";

    public ITradingCalendar Calendar => NyseCalendar.Instance;

    public SubUnitNoun SubUnits { get; } = new("symbol", "symbols");

    public OutputLayout Layout => OutputLayout;

    public IReadOnlyList<SettingDefinition> Settings => OhlcvSettings.All;

    /// <summary>A date without history: a few symbols, one request each for the whole run, under a kilobyte.</summary>
    public DryRunDefaults DryRun { get; } = new(3, 3, 600, 1);

    public string KeyFileSetting => OhlcvSettings.OhlcvKeyFile;

    public IReadOnlyList<string> CheckSettings(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return string.IsNullOrWhiteSpace(settings.Get(OhlcvSettings.OhlcvSymbols).Value)
            ? [$"{OhlcvSettings.OhlcvSymbols}: the ohlcv dataset needs a symbol list. Example: backfill config set {OhlcvSettings.OhlcvSymbols} AAPL,MSFT,BRK.B"]
            : [];
    }

    public Task<IUnitProducer> CreateProducerAsync(DatasetHost host, EffectiveSettings settings, ProcessingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        var symbols = OhlcvSourceFactory.Symbols(settings);
        var keys = OhlcvKeys.Load(host, settings);
        var client = OhlcvSourceFactory.CreateClient(settings, OhlcvSourceFactory.ApiKey(host.Variable, settings, keys), options.Retry,
            budget: new LedgerRequestBudget(host.Ledger, OhlcvSourceFactory.DailyBudget(settings), host.Time), loggers: host.Loggers);
        return Task.FromResult<IUnitProducer>(new OhlcvDayProducer(client, symbols, OhlcvSourceFactory.Adjusted(settings), keys, Calendar, host.Time, ownsClient: true));
    }

    /// <summary>
    /// Alpha Vantage counts every call against the daily quota, so the key is only checked to be configured and the
    /// service to answer at all (a request without a key).
    /// </summary>
    public async Task<(HealthLevel Level, string Detail)> CheckSourceAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        var baseUrl = settings.Get(OhlcvSettings.AlphaVantageBaseUrl).Value!.TrimEnd('/');
        string keyNote;
        try
        {
            KeyStore? keys = null;
            try
            {
                keys = OhlcvKeys.Load(host, settings);
            }
            catch (Exception e) when (e is BackfillException or InvalidInputException or IOException)
            {
                // Without the key store only ALPHA_VANTAGE_API_KEY can give the key; ApiKey says so when it is not set.
            }

            _ = OhlcvSourceFactory.ApiKey(host.Variable, settings, keys);
            keyNote = "an API key is configured (not sent, to spare the daily quota)";
        }
        catch (Exception e) when (e is BackfillException or InvalidInputException)
        {
            return (HealthLevel.Fail, e.Message);
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var response = await http.GetAsync(new Uri(baseUrl + "/"), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return (HealthLevel.Ok, $"Alpha Vantage at {baseUrl} answers (HTTP {(int)response.StatusCode}); {keyNote}.");
        }
        catch (HttpRequestException e)
        {
            return (HealthLevel.Fail, $"Alpha Vantage at {baseUrl} does not answer: {e.Message}");
        }
    }

    /// <summary>Decrypts in memory and compares the content SHA-256 with the ledger's (a missing key store is an error, exit 2).</summary>
    public IOutputChecker CreateChecker(DatasetHost? host, EffectiveSettings? settings) =>
        CheckerFor(host is not null && settings is not null
            ? OhlcvKeys.Load(host, settings)
            : throw new InvalidInputException("The ohlcv outputs are encrypted: reading them needs the key store (ohlcv.keyFile or OHLCV_ENCRYPTION_KEY)."));

    /// <summary>The checker of encrypted outputs with the given keys.</summary>
    public static IOutputChecker CheckerFor(KeyStore keys) => new EncryptedChecker(keys);

    public KeyStore LoadKeys(DatasetHost host, EffectiveSettings settings) => OhlcvKeys.Load(host, settings);

    public KeyStore InitKeys(DatasetHost host, EffectiveSettings settings) => OhlcvKeys.Init(host, settings);

    /// <summary>The Alpha Vantage requests counted today (New York day) against the daily budget.</summary>
    public async Task<IReadOnlyList<(string Metric, object? Value)>> StatusAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var budget = new LedgerRequestBudget(host.Ledger, OhlcvSourceFactory.DailyBudget(settings), host.Time);
        return [("requests_today", await budget.UsedTodayAsync(cancellationToken)), ("daily_budget", budget.Limit), ("budget_day", budget.Today)];
    }

    public async Task<RequestBudget> RequestBudgetAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var budget = new LedgerRequestBudget(host.Ledger, OhlcvSourceFactory.DailyBudget(settings), host.Time);
        return new RequestBudget(LedgerRequestBudget.Source, await budget.UsedTodayAsync(cancellationToken), budget.Limit,
            $"{budget.Today:yyyy-MM-dd} (New York day)");
    }

    public IDatasetDemo Demo { get; } = new OhlcvDemo();

    public string DefaultBackupFolder(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return OutputStores.IsRemote(settings.OutputDirectory)
            ? throw new InvalidInputException(
                $"backup: processing.outputDirectory is '{Backfill.Core.Time.DateInput.Printable(settings.OutputDirectory)}', so there is no folder beside it for backups. " +
                "Pass a local destination: --to FOLDER or --to FILE.tar (and the same location to 'backup verify').")
            : OhlcvBackup.DefaultDestination(settings.OutputDirectory);
    }

    public async Task<BackupReport> CreateBackupAsync(DatasetHost host, EffectiveSettings settings, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        var store = EnginePaths.OutputStore(settings, Name);
        try
        {
            return await OhlcvBackup.CreateAsync(host.Ledger, store, OhlcvKeys.Load(host, settings), destination, host.Time.GetUtcNow(), cancellationToken);
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    public async Task<BackupReport> VerifyBackupAsync(DatasetHost host, EffectiveSettings settings, string location, int? sample, CancellationToken cancellationToken)
    {
        var archive = await OhlcvBackupArchive.OpenAsync(location, cancellationToken);
        return await OhlcvBackup.VerifyAsync(archive, OhlcvKeys.Load(host, settings), sample, cancellationToken);
    }

    public async Task<RecoverReport> RecoverAsync(DatasetHost host, EffectiveSettings settings, string? from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        var store = EnginePaths.OutputStore(settings, Name);
        try
        {
            var recovery = new OhlcvRecovery(host.Ledger, OhlcvKeys.Load(host, settings), store, "recover:" + WorkerIdentity.Current);
            return from is null
                ? await recovery.InPlaceAsync(cancellationToken)
                : await recovery.FromBackupAsync(await OhlcvBackupArchive.OpenAsync(from, cancellationToken), cancellationToken);
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    private sealed class EncryptedChecker(KeyStore keys) : IOutputChecker
    {
        public async Task<VerificationResult> CheckAsync(IOutputStore store, string key, UnitRecord unit, bool deep, CancellationToken cancellationToken)
        {
            using var local = await store.OpenLocalAsync(key, cancellationToken);
            return await OhlcvFileVerifier.VerifyAsync(local.Path, unit, keys.Find, cancellationToken);
        }

        public async Task<OutputIdentity> IdentifyAsync(IOutputStore store, string key, DateOnly date, CancellationToken cancellationToken)
        {
            using var local = await store.OpenLocalAsync(key, cancellationToken);
            var bytes = await File.ReadAllBytesAsync(local.Path, cancellationToken);
            var check = OhlcvBackup.Inspect(bytes, keys, date);
            if (check.Problem is { } problem)
            {
                var status = check.Status == BackupFileStatus.UnknownKey ? VerificationStatus.Unreadable : VerificationStatus.ChecksumMismatch;
                return new OutputIdentity(new VerificationResult(status, $"'{local.Path}': {problem}"), null);
            }

            var fileSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            return new OutputIdentity(
                new VerificationResult(VerificationStatus.Ok, $"'{local.Path}' decrypts with key {check.KeyId}: {check.Rows} row(s) of {date:yyyy-MM-dd}.", fileSha, check.Rows),
                new UnitSuccess
                {
                    FilePath = store.LocationOf(key),
                    FileSize = bytes.Length,
                    FileSha256 = fileSha,
                    ContentSha256 = check.ContentSha256,
                    RowCount = check.Rows,
                    SubUnitsTotal = checked((int)check.Rows),
                });
        }

        /// <summary>The ciphertext's hash changes at every key rotation; the content's does not.</summary>
        public string? ExpectedSha256(UnitRecord unit) => unit?.ContentSha256;
    }

    /// <summary>A month of NYSE dates against the embedded Alpha Vantage simulator, verified and backed up.</summary>
    private sealed class OhlcvDemo : IDatasetDemo
    {
        public string Summary => "a month of daily bars for three symbols against the embedded Alpha Vantage simulator, encrypted, verified and backed up";

        public async Task<DemoSession> StartAsync(DemoRequest request, CancellationToken cancellationToken)
        {
            var simulator = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, cancellationToken);
            var baseUrl = simulator.BaseAddress.ToString().TrimEnd('/');
            var output = Path.Combine(request.Folder, "data");
            var keyFile = Path.Combine(request.Folder, "keys", "ohlcv-keys.json");
            var backups = Path.Combine(request.Folder, "backups");
            return new DemoSession(
                simulator,
                [$"Simulated Alpha Vantage query API listening on {baseUrl}, with a throwaway API key"],
                [
                    $"{Configuration.Settings.StartDate}={DemoFrom}",
                    $"{Configuration.Settings.OutputDirectory}={output}",
                    $"{Configuration.Settings.TempDirectory}={Path.Combine(request.Folder, "temp")}",
                    $"{OhlcvSettings.AlphaVantageBaseUrl}={baseUrl}",
                    $"{OhlcvSettings.AlphaVantageMinIntervalMs}=0",
                    $"{OhlcvSettings.OhlcvSymbols}=AAPL,MSFT,BRK.B",
                    $"{OhlcvSettings.OhlcvKeyFile}={keyFile}",
                ],
                [["keys", "init"], ["process-range", DemoFrom, DemoTo], ["verify"], ["backup", "create", "--to", backups], ["backup", "verify", "--all"]],
                db =>
                {
                    var root = Path.Combine(output, DatasetName);
                    var files = Directory.GetFiles(root, "*" + OutputLayout.Extension, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
                    var backup = Directory.GetDirectories(backups, "ohlcv-backup-*").Single();
                    return
                    [
                        string.Empty,
                        $"Published {files.Count} encrypted files (AES-256-GCM, 0600) under {root}/YYYY/MM/DD/, e.g.",
                        $"  {files[^1]}",
                        $"Temporary key file (0600): {keyFile}   -- a real setup keeps its own key file and backs it up separately.",
                        $"Backup (still encrypted, manifest of checksums and key ids): {backup}",
                        "Decrypt one to stdout (the plaintext is never written to disk by Backfill):",
                        $"  backfill --dataset {DatasetName} --db {db} keys decrypt {files[^1]}",
                        "Verify every file (decrypts in memory, compares the content SHA-256 with the ledger), and the backup:",
                        $"  backfill --dataset {DatasetName} --db {db} verify",
                        $"  backfill --dataset {DatasetName} --db {db} backup verify {backup} --all",
                        $"See the ledger with: backfill --dataset {DatasetName} --db {db} list   (and: status, gaps, keys check, keys rotate)",
                        $"{simulator.Stats.Requests} requests served by the simulator.",
                    ];
                },
                new Dictionary<string, string>(StringComparer.Ordinal) { [AlphaVantageApiKey.Variable] = "av-demo-" + Guid.NewGuid().ToString("N") })
            {
                RemovedNote = "Removed the demo's folder, its key and the backup (--clean); run the demo without --clean to keep them.",
            };
        }
    }
}
