using Backfill.Core.Errors;

namespace Backfill.Encryption;

/// <param name="Rotated">Files re-encrypted by this run.</param>
/// <param name="AlreadyCurrent">Files found already under the new key (done by an interrupted run).</param>
/// <param name="Verified">Files that decrypted under the new key in the final check.</param>
/// <param name="Retired">Key ids retired at the end.</param>
public sealed record RotationReport(string NewKeyId, int Rotated, int AlreadyCurrent, int Verified, IReadOnlyList<string> Retired, bool Resumed);

/// <summary>
/// <c>keys rotate</c>: (1) unless a rotation is under way, a new key is added as active and the old one marked retiring, in one
/// atomic write of the key file (the journal); (2) every file not yet under the new key is decrypted in memory and re-encrypted
/// to a temp file beside it, then renamed over it; (3) every file is decrypted under the new key; (4) only then are the retiring
/// keys marked retired. Interrupted anywhere, running it again resumes: a file is under the old key or the new one, never lost.
/// </summary>
public static class KeyRotation
{
    /// <param name="files">Every encrypted file of the dataset (enumerated once per phase).</param>
    /// <param name="checkpoint">Called at each step with its name; tests throw from it to simulate a crash.</param>
    public static RotationReport Rotate(KeyStore store, Func<IEnumerable<string>> files, DateTimeOffset now, Action<string>? checkpoint = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(files);
        if (store.EnvironmentKey is not null)
        {
            throw new InvalidInputException(
                $"{KeyStore.EnvironmentVariable} is set: a key given in the environment cannot be rotated here. Unset it to rotate the key file's keys.");
        }

        var resumed = store.RotationInProgress;
        if (!resumed)
        {
            var next = EncryptionKey.Generate(now);
            store = store.With([.. store.FileKeys.Select(k => k.Status == KeyStatus.Active ? k.WithStatus(KeyStatus.Retiring) : k), next]);
            checkpoint?.Invoke("before-journal");
            store.Save();
            checkpoint?.Invoke("after-journal");
        }

        var active = store.ActiveKey;
        int rotated = 0, current = 0;
        foreach (var path in files())
        {
            var data = File.ReadAllBytes(path);
            if (EncryptedFile.ReadKeyId(data) == active.Id)
            {
                current++;
                continue;
            }

            var plaintext = EncryptedFile.Decrypt(data, store.Find);
            try
            {
                checkpoint?.Invoke("file-decrypted");
                EncryptedFileWriter.ReplaceAtomically(path, EncryptedFile.Encrypt(plaintext, active), checkpoint);
                checkpoint?.Invoke("file-replaced");
            }
            finally
            {
                Array.Clear(plaintext);
            }

            rotated++;
        }

        var verified = 0;
        foreach (var path in files())
        {
            var data = File.ReadAllBytes(path);
            if (EncryptedFile.ReadKeyId(data) != active.Id)
            {
                throw new FileCorruptionException($"'{path}' is still not under key '{active.Id}' after the rotation pass; the old key stays in service. Run 'backfill keys rotate' again.");
            }

            Array.Clear(EncryptedFile.Decrypt(data, id => id == active.Id ? active : null));
            verified++;
        }

        checkpoint?.Invoke("before-retire");
        var retired = store.FileKeys.Where(k => k.Status == KeyStatus.Retiring).Select(k => k.Id).ToList();
        store.With([.. store.FileKeys.Select(k => k.Status == KeyStatus.Retiring ? k.WithStatus(KeyStatus.Retired) : k)]).Save();
        return new RotationReport(active.Id, rotated, current, verified, retired, resumed);
    }
}
