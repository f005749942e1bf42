using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// <c>recover</c>: re-links keys and files after a restore. First it lists the key id every file names and refuses, before
/// changing anything, when the key store lacks one (naming the ids and how to provide them). From a backup, each file's
/// ciphertext and decrypted content must match the manifest; it is then published atomically at its layout path (derived from
/// its date, never from a path in the manifest). In place (files restored by hand), each layout file is decrypted. Either way
/// the date is registered in the ledger as done with the content SHA-256, and the file is verified against the ledger.
/// Everything goes through the output store (list by prefix, read back, publish), so a bucket is recovered like a folder.
/// </summary>
public sealed class OhlcvRecovery(ILedger ledger, KeyStore keys, IOutputStore store, string owner)
{
    public const string Dataset = OhlcvDataset.DatasetName;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    /// <summary>Throws an <see cref="InvalidInputException"/> naming every key id the store lacks.</summary>
    public static void RequireKeys(IEnumerable<string> keyIds, KeyStore keys, int files)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var missing = keyIds.Where(id => keys.Find(id) is null).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidInputException(
                $"The {files} file(s) to recover need key(s) {string.Join(", ", missing)}, which the key store does not hold (key file '{keys.Path}'" +
                (keys.EnvironmentKey is { } e ? $", {KeyStore.EnvironmentVariable} = {e.Id}" : string.Empty) + "). " +
                $"Restore the key file that holds them to '{keys.Path}' (setting ohlcv.keyFile; chmod 600), or, for an id starting with 'env-', " +
                $"set {KeyStore.EnvironmentVariable} to that key. Then run recover again. Nothing was changed.");
        }
    }

    public async Task<RecoverReport> FromBackupAsync(OhlcvBackupArchive archive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        if (archive.Manifest.Dataset != Dataset)
        {
            throw new InvalidInputException($"'{archive.Location}' is a backup of dataset '{archive.Manifest.Dataset}', not {Dataset}.");
        }

        RequireKeys(archive.Manifest.KeyIds, keys, archive.Manifest.Files.Count);
        var items = new List<RecoverItem>();
        foreach (var entry in archive.Manifest.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = OhlcvDataset.OutputLayout.KeyFor(entry.Date);
            var destination = store.LocationOf(key);
            var data = await archive.ReadAsync(entry, cancellationToken);
            if (data is null)
            {
                items.Add(new RecoverItem(entry.Date, destination, entry.KeyId, RecoverStatus.Corrupted, $"'{entry.Path}' is listed in the manifest but absent from the backup."));
                continue;
            }

            var sha = OhlcvBackupArchive.Sha256(data);
            var check = string.Equals(sha, entry.Sha256, StringComparison.OrdinalIgnoreCase)
                ? OhlcvBackup.CheckContent(entry, data, keys)
                : new BackupFileResult(entry.Date, entry.Path, entry.KeyId, data.Length, BackupFileStatus.Corrupted, "its ciphertext SHA-256 differs from the manifest's");
            if (check.Status != BackupFileStatus.Ok)
            {
                items.Add(new RecoverItem(entry.Date, destination, entry.KeyId, RecoverStatus.Corrupted, $"backup copy of {entry.Date:yyyy-MM-dd} not restored: {check.Message}"));
                continue;
            }

            var unit = await ledger.GetUnitAsync(Dataset, entry.Date, cancellationToken);
            var current = await store.StatAsync(key, cancellationToken) is not null
                ? OhlcvBackup.Inspect(await OhlcvBackup.ReadAsync(store, key, cancellationToken), keys, entry.Date)
                : default;
            var recorded = unit is { Status: UnitStatus.Success } && Same(unit.ContentSha256, current.ContentSha256) && RecordedAt(unit, key);
            if (current.Problem is null && current.ContentSha256 is not null && recorded)
            {
                items.Add(Same(current.ContentSha256, entry.ContentSha256)
                    ? new RecoverItem(entry.Date, destination, current.KeyId, RecoverStatus.AlreadyCurrent, "file and ledger already match the backup")
                    : new RecoverItem(entry.Date, destination, current.KeyId, RecoverStatus.KeptCurrent,
                        "the output holds a good file the ledger records, with other content than the backup (newer run?): kept"));
                continue;
            }

            var replace = !Same(current.ContentSha256, entry.ContentSha256);
            items.Add(await RegisterAsync(entry.Date, key, replace ? data : null, unit, replace ? RecoverStatus.Restored : RecoverStatus.Relinked, cancellationToken));
        }

        return new RecoverReport(archive.Location, archive.Manifest.KeyIds, items);
    }

    /// <summary>After files were copied back by hand: registers every layout file that decrypts, reports done dates without a file.</summary>
    public async Task<RecoverReport> InPlaceAsync(CancellationToken cancellationToken)
    {
        var files = new List<(StoredObject Object, DateOnly Date)>();
        await foreach (var file in OhlcvDataset.OutputLayout.ListAsync(store, cancellationToken))
        {
            files.Add(file);
        }

        var headers = new List<(StoredObject Object, DateOnly Date, string? KeyId)>();
        foreach (var (item, date) in files)
        {
            string? id;
            try
            {
                using var local = await store.OpenLocalAsync(item.Key, cancellationToken);
                id = EncryptedFile.ReadKeyId(local.Path);
            }
            catch (BackfillException)
            {
                id = null;
            }

            headers.Add((item, date, id));
        }

        var keyIds = headers.Where(h => h.KeyId is not null).Select(h => h.KeyId!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        RequireKeys(keyIds, keys, files.Count);
        var items = new List<RecoverItem>();
        foreach (var (item, date, _) in headers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = item.Location;
            var check = OhlcvBackup.Inspect(await OhlcvBackup.ReadAsync(store, item.Key, cancellationToken), keys, date);
            if (check.Problem is { } problem)
            {
                items.Add(new RecoverItem(date, path, check.KeyId, RecoverStatus.Corrupted, $"not registered: {problem}"));
                continue;
            }

            var unit = await ledger.GetUnitAsync(Dataset, date, cancellationToken);
            if (unit is { Status: UnitStatus.Success } && Same(unit.ContentSha256, check.ContentSha256) && RecordedAt(unit, item.Key))
            {
                items.Add(new RecoverItem(date, path, check.KeyId, RecoverStatus.AlreadyCurrent, "file and ledger agree"));
                continue;
            }

            items.Add(await RegisterAsync(date, item.Key, null, unit, RecoverStatus.Relinked, cancellationToken));
        }

        var present = files.Select(f => f.Date).ToHashSet();
        foreach (var unit in await ledger.ListUnitsAsync(Dataset, null, null, UnitStatus.Success, cancellationToken))
        {
            if (!present.Contains(unit.TradeDate))
            {
                items.Add(new RecoverItem(unit.TradeDate, unit.FilePath ?? store.LocationOf(OhlcvDataset.OutputLayout.KeyFor(unit.TradeDate)), null, RecoverStatus.Missing,
                    "the ledger records this date as done but its file is not in the output tree; restore it with 'backfill recover --from BACKUP'"));
            }
        }

        items.Sort(static (a, b) => a.Date.CompareTo(b.Date));
        return new RecoverReport(store.Root, keyIds, items);
    }

    /// <summary>Claims the date, publishes <paramref name="data"/> when given, records it as done, and verifies it.</summary>
    private async Task<RecoverItem> RegisterAsync(DateOnly date, string key, byte[]? data, UnitRecord? previous, RecoverStatus status, CancellationToken cancellationToken)
    {
        var destination = store.LocationOf(key);
        var claim = await ledger.TryClaimUnitAsync(Dataset, date, owner, Lease, allowSuccessful: true, cancellationToken);
        if (claim is null)
        {
            return new RecoverItem(date, destination, null, RecoverStatus.Busy, "another worker holds this date with a live lease; run recover again when it is done");
        }

        try
        {
            if (data is not null)
            {
                await store.PublishAsync(key, (temp, ct) => File.WriteAllBytesAsync(temp, data, ct), null, cancellationToken);
            }

            using var local = await store.OpenLocalAsync(key, cancellationToken);
            var bytes = await File.ReadAllBytesAsync(local.Path, cancellationToken);
            var check = OhlcvBackup.Inspect(bytes, keys, date);
            if (check.Problem is { } problem)
            {
                throw new FileCorruptionException(problem);
            }

            await ledger.CompleteUnitAsync(Dataset, date, owner, new UnitSuccess
            {
                FilePath = destination,
                FileSize = bytes.Length,
                FileSha256 = OhlcvBackupArchive.Sha256(bytes),
                ContentSha256 = check.ContentSha256,
                RowCount = check.Rows,
                SubUnitsTotal = previous?.SubUnitsTotal ?? (int)check.Rows,
                QualityScore = previous?.QualityScore,
            }, cancellationToken);
            var unit = await ledger.GetUnitAsync(Dataset, date, cancellationToken);
            var verified = await OhlcvFileVerifier.VerifyAsync(local.Path, unit!, keys.Find, cancellationToken);
            return verified.Status == Storage.Verification.VerificationStatus.Ok
                ? new RecoverItem(date, destination, check.KeyId, status, (status == RecoverStatus.Restored ? "restored from the backup" : "registered") + $", key {check.KeyId}, {check.Rows} row(s), verified")
                : new RecoverItem(date, destination, check.KeyId, RecoverStatus.VerifyFailed, verified.Message);
        }
        catch (Exception e) when (e is BackfillException or IOException or UnauthorizedAccessException)
        {
            var kind = e is BackfillException b ? b.Kind.ToString() : nameof(ErrorKind.FileCorruption);
            await ledger.FailUnitAsync(Dataset, date, owner, kind, $"recover failed: {e.Message}", CancellationToken.None);
            return new RecoverItem(date, destination, null, RecoverStatus.VerifyFailed, $"recover failed: {e.Message}");
        }
    }

    /// <summary>Whether the ledger records the date at this key's location in this store.</summary>
    private bool RecordedAt(UnitRecord unit, string key) => unit.FilePath is { } recorded && store.KeyOf(recorded) == key;

    private static bool Same(string? a, string? b) => a is not null && b is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
