using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Core.IO;
using Backfill.Core.Time;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Sqlite;
using Backfill.Storage.Publish;

namespace Backfill.Engine.LedgerFiles;

/// <summary>
/// <c>ledger restore</c>: puts a backup in the SQLite ledger's place. <see cref="PrepareAsync"/> copies the backup beside
/// the ledger under a temp name and checks the copy (a SQLite database, <c>integrity_check</c> ok, a ledger schema
/// this build knows); nothing else is touched until <see cref="PreparedRestore.ReplaceAsync"/>, which refuses a ledger
/// another process has open or a live worker holds units in, keeps the replaced ledger (and any <c>-wal</c>/<c>-shm</c>
/// beside it) as <c>{name}.replaced-YYYYMMDDTHHMMSSZ</c> and renames the copy into place.
/// </summary>
public sealed class LedgerRestore(TimeProvider time)
{
    /// <summary>What SQLite may keep beside a database file; a stale one beside a new file would be read as part of it.</summary>
    internal static readonly string[] Companions = ["-wal", "-shm", "-journal"];

    /// <summary>Checks <paramref name="backupFile"/> and stages a copy of it beside <paramref name="ledgerPath"/>; changes nothing else.</summary>
    /// <exception cref="InvalidInputException">The file is missing, not a SQLite database, damaged or not a ledger; nothing was changed.</exception>
    /// <exception cref="LedgerSchemaTooNewException">The backup was made by a newer backfill; nothing was changed.</exception>
    public async Task<PreparedRestore> PrepareAsync(string backupFile, string ledgerPath, CancellationToken cancellationToken)
    {
        var source = Path.GetFullPath(backupFile);
        var target = Path.GetFullPath(ledgerPath);
        if (!File.Exists(source))
        {
            throw new InvalidInputException($"No backup file at {DateInput.Printable(source)}. Give a file made by 'backfill ledger backup' (they are in {LedgerBackup.DefaultFolder(target)}).");
        }

        if (string.Equals(source, target, StringComparison.Ordinal))
        {
            throw new InvalidInputException($"{source} is the ledger itself. Give a backup file.");
        }

        if (!SqliteLedgerFile.HasSqliteHeader(source))
        {
            throw new InvalidInputException($"{source} is not a SQLite database (it does not start with the SQLite header). Give a file made by 'backfill ledger backup'; nothing was changed.");
        }

        var folder = Path.GetDirectoryName(target)!;
        OwnerOnly.CreateDirectory(folder);
        var temp = LedgerFileWrites.CreateTemp(folder, Path.GetFileName(target), "restore");
        try
        {
            try
            {
                await SqliteLedgerFile.CopyAsync(source, temp, cancellationToken);
            }
            catch (LedgerDamagedException e)
            {
                throw new InvalidInputException($"{source} cannot be restored: it is corrupted ({e.Detail.TrimEnd('.')}). Choose another backup; nothing was changed.");
            }

            var check = await SqliteLedgerFile.CheckAsync(temp, cancellationToken);
            if (!check.IsOk)
            {
                throw new InvalidInputException($"{source} fails SQLite's integrity_check ({check.Integrity}). Choose another backup; nothing was changed.");
            }

            if (check.SchemaVersion is not { } version)
            {
                throw new InvalidInputException($"{source} is a SQLite database but not a backfill ledger (it has no schema_migrations table). Choose another file; nothing was changed.");
            }

            if (version > LedgerSchema.LatestVersion)
            {
                throw new LedgerSchemaTooNewException(source, version, LedgerSchema.LatestVersion);
            }

            LedgerFileWrites.Seal(temp);
            return new PreparedRestore(time, source, target, temp, version, check.Integrity);
        }
        catch
        {
            LedgerFileWrites.DeleteTemp(temp);
            throw;
        }
    }
}

/// <summary>A checked copy of a backup beside the ledger, not yet in its place. Disposing it without replacing removes the copy.</summary>
public sealed class PreparedRestore : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly string _temp;
    private bool _done;

    internal PreparedRestore(TimeProvider time, string source, string target, string temp, int schemaVersion, string integrity)
    {
        _time = time;
        Source = source;
        Target = target;
        _temp = temp;
        SchemaVersion = schemaVersion;
        Integrity = integrity;
    }

    /// <summary>The backup file.</summary>
    public string Source { get; }

    /// <summary>The ledger file it is to replace.</summary>
    public string Target { get; }

    public int SchemaVersion { get; }

    public string Integrity { get; }

    public long Bytes => new FileInfo(_temp).Length;

    /// <summary>The ledger file the restore would replace, or null when there is none.</summary>
    public FileInfo? Existing => File.Exists(Target) ? new FileInfo(Target) : null;

    /// <summary>Puts the copy in the ledger's place, keeping what it replaces.</summary>
    /// <exception cref="LedgerInUseException">Another process has the ledger open, or a live worker holds a unit; nothing was changed.</exception>
    public async Task<LedgerRestoreResult> ReplaceAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        var now = _time.GetUtcNow();
        SqliteLedgerHold? hold = null;
        var damaged = false;
        if (File.Exists(Target))
        {
            try
            {
                hold = await SqliteLedgerFile.TryHoldAsync(Target, cancellationToken)
                    ?? throw new LedgerInUseException($"Another process has the ledger {Target} open (a worker, 'serve', or another command). " +
                                                      "Stop it and run the restore again; nothing was changed.");
            }
            catch (LedgerDamagedException)
            {
                // A damaged ledger is what a restore is for; nothing can be using it to any effect.
                damaged = true;
            }
        }

        try
        {
            if (hold is not null)
            {
                await RefuseLiveWorkersAsync(hold, now, cancellationToken);
            }

            var folder = Path.GetDirectoryName(Target)!;
            var replacedAs = Target + ".replaced-" + LedgerFileWrites.Stamp(now);
            if (LedgerRestore.Companions.Prepend(string.Empty).Any(c => File.Exists(replacedAs + c)))
            {
                replacedAs = Target + ".replaced-" + LedgerFileWrites.Stamp(now, milliseconds: true);
            }

            var kept = new List<string>();
            foreach (var suffix in LedgerRestore.Companions.Prepend(string.Empty))
            {
                // The held ledger was checkpointed and left WAL mode, so it has no companions; a damaged one, or a
                // -wal left without its database, does: they go with it, never beside the restored file.
                if (File.Exists(Target + suffix))
                {
                    File.Move(Target + suffix, replacedAs + suffix, overwrite: false);
                    kept.Add(replacedAs + suffix);
                }
            }

            File.Move(_temp, Target, overwrite: false);
            _done = true;
            DirectorySync.Fsync(folder);
            return new LedgerRestoreResult(Target, Source, new FileInfo(Target).Length, SchemaVersion, Integrity,
                File.Exists(replacedAs) ? replacedAs : null, kept, damaged);
        }
        finally
        {
            if (hold is not null)
            {
                await hold.DisposeAsync();
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_done)
        {
            _done = true;
            LedgerFileWrites.DeleteTemp(_temp);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A unit in processing whose owner is alive (a process of this host that still runs) or, for another host, whose
    /// lease has not expired, belongs to a worker that will write again: the restore would lose its work. Units left
    /// by dead local workers or with expired leases are recovered by the next run, as always.
    /// </summary>
    private async Task RefuseLiveWorkersAsync(SqliteLedgerHold hold, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var live = (await hold.ListProcessingAsync(cancellationToken))
            .Where(u => u.Owner is not null && !WorkerIdentity.IsDeadLocalOwner(u.Owner) && (IsLocal(u.Owner) || u.LeaseExpiresAt > now))
            .ToList();
        if (live.Count > 0)
        {
            var first = live[0];
            throw new LedgerInUseException(
                $"The ledger {Target} has {live.Count} unit(s) in processing by a live worker ({first.Dataset} {first.TradeDate:yyyy-MM-dd} held by {first.Owner}" +
                (first.LeaseExpiresAt is { } lease ? $", lease until {lease.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z" : string.Empty) +
                "). Stop the workers, or wait for their leases to expire, and run the restore again; nothing was changed.");
        }
    }

    private static bool IsLocal(string owner) =>
        owner.Split('/') is { Length: 4 } parts && string.Equals(parts[0], Environment.MachineName, StringComparison.Ordinal);
}

/// <summary>What <see cref="PreparedRestore.ReplaceAsync"/> did.</summary>
/// <param name="Ledger">The ledger file, now the backup's copy.</param>
/// <param name="RestoredFrom">The backup file.</param>
/// <param name="ReplacedAs">Where the replaced ledger was kept, or null when there was none.</param>
/// <param name="Kept">Every file moved aside (the ledger and any -wal, -shm, -journal beside it).</param>
/// <param name="ReplacedWasDamaged">The replaced ledger could not be read (so it could not be checked for other users).</param>
public sealed record LedgerRestoreResult(
    string Ledger, string RestoredFrom, long Bytes, int SchemaVersion, string Integrity, string? ReplacedAs, IReadOnlyList<string> Kept, bool ReplacedWasDamaged);
