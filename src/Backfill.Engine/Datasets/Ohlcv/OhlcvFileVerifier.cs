using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Ledger.Model;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// Verifies one encrypted <c>ohlcv</c> file: decrypts it in memory (every chunk authenticated), then compares the SHA-256
/// and row count of the decrypted CSV with the ledger's, and checks every row is dated the unit's date. The ledger's <c>file_sha256</c> (the ciphertext) is not used:
/// it goes stale at every key rotation, the content hash does not. The plaintext is cleared after hashing.
/// </summary>
public static class OhlcvFileVerifier
{
    public static async Task<VerificationResult> VerifyAsync(string path, UnitRecord unit, Func<string, EncryptionKey?>? keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unit);
        if (!File.Exists(path))
        {
            return new VerificationResult(VerificationStatus.Missing, $"'{path}' is missing.");
        }

        if (keys is null)
        {
            return new VerificationResult(VerificationStatus.Unreadable, $"'{path}' is encrypted and no key store was given to verify it.");
        }

        var data = await File.ReadAllBytesAsync(path, cancellationToken);
        byte[] plain;
        try
        {
            plain = EncryptedFile.Decrypt(data, keys);
        }
        catch (UnknownKeyException e)
        {
            return new VerificationResult(VerificationStatus.Unreadable, $"'{path}' cannot be decrypted: {e.Message}");
        }
        catch (BackfillException e)
        {
            return new VerificationResult(VerificationStatus.ChecksumMismatch, $"'{path}' failed decryption: {e.Message}");
        }

        try
        {
            var sha = OhlcvOutput.Sha256(plain);
            var rows = OhlcvOutput.CountRows(plain);
            // Another date's rows are named first: that tells a person more than a checksum would.
            if (OhlcvOutput.RowDatesProblem(plain, unit.TradeDate) is { } wrongDate)
            {
                return new VerificationResult(VerificationStatus.MetadataMismatch, $"'{path}' decrypts, but {wrongDate}.", sha, rows);
            }

            if (unit.ContentSha256 is { } expected && !string.Equals(expected, sha, StringComparison.OrdinalIgnoreCase))
            {
                return new VerificationResult(VerificationStatus.ChecksumMismatch,
                    $"'{path}' decrypts, but its content SHA-256 {sha} differs from the ledger's {expected}.", sha, rows);
            }

            if (unit.RowCount is { } expectedRows && expectedRows != rows)
            {
                return new VerificationResult(VerificationStatus.MetadataMismatch,
                    $"'{path}' holds {rows} row(s); the ledger recorded {expectedRows}.", sha, rows);
            }

            return new VerificationResult(VerificationStatus.Ok, $"'{path}' decrypts with key {EncryptedFile.ReadKeyId(data)} and matches the ledger.", sha, rows);
        }
        finally
        {
            Array.Clear(plain);
        }
    }
}
