using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Backfill.Core.Errors;

namespace Backfill.Encryption;

/// <summary>The key a file names in its header is not known (not in the key file nor the environment).</summary>
public sealed class UnknownKeyException(string keyId)
    : BackfillException($"The file is encrypted with key '{keyId}', which is not in the key store. Restore the key file that holds it (see ohlcv.keyFile) or set OHLCV_ENCRYPTION_KEY to that key, then run: backfill keys check.")
{
    public override ErrorKind Kind => ErrorKind.PermissionDenied;

    public string KeyId { get; } = keyId;
}

/// <summary>
/// The at-rest format of every <c>ohlcv</c> output, version 1 (all integers big-endian):
/// <code>
/// header: "BFENC" (5) | version=1 (1) | key id length n (1) | key id, ASCII (n) | chunk size (4) | nonce prefix (8)
/// chunk:  ciphertext length L (4) | ciphertext (L) | tag (16)     -- repeated; the last chunk may be short or empty
/// </code>
/// AES-256-GCM per chunk with nonce = prefix (8, random per file) || chunk index (4), and AAD = the whole header || chunk
/// index (8) || final flag (1). The header is thus authenticated, chunks cannot be reordered or dropped, and a truncated file
/// (no chunk flagged final) is refused. A wrong key fails the first tag: refused as such, never as garbage plaintext.
/// </summary>
public static class EncryptedFile
{
    public const int Version = 1;
    public const int KeySize = 32;
    public const int DefaultChunkSize = 1 << 20;

    /// <summary>The largest encrypted file read: a day's output is far smaller, and decrypting holds it and its text in memory.</summary>
    public const long MaxFileBytes = 1L << 30;
    private const int TagSize = 16;
    private static readonly byte[] Magic = "BFENC"u8.ToArray();

    /// <summary>Whether the bytes start like an encrypted file (magic only; says nothing of validity).</summary>
    public static bool LooksEncrypted(ReadOnlySpan<byte> start) => start.StartsWith(Magic);

    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, EncryptionKey key, int chunkSize = DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 16);
        var header = Header(key.Id, chunkSize, RandomNumberGenerator.GetBytes(8));
        var chunks = Math.Max(1, (plaintext.Length + chunkSize - 1) / chunkSize);
        var output = new byte[header.Length + (chunks * (4 + TagSize)) + plaintext.Length];
        header.CopyTo(output, 0);
        var at = header.Length;
        using var gcm = new AesGcm(key.Material, TagSize);
        for (var i = 0; i < chunks; i++)
        {
            var part = plaintext.Slice(i * chunkSize, Math.Min(chunkSize, plaintext.Length - (i * chunkSize)));
            BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(at), part.Length);
            at += 4;
            gcm.Encrypt(Nonce(header, i), part, output.AsSpan(at, part.Length), output.AsSpan(at + part.Length, TagSize), Aad(header, i, i == chunks - 1));
            at += part.Length + TagSize;
        }

        return output;
    }

    /// <summary>The key id a file's header names, or an error when the file is not in this format.</summary>
    public static string ReadKeyId(ReadOnlySpan<byte> data) => ParseHeader(data).KeyId;

    public static string ReadKeyId(string path)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[5 + 1 + 1 + 255 + 4 + 8];
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return ReadKeyId(buffer.AsSpan(0, read));
    }

    /// <summary>
    /// Reads an encrypted file whole, after checking its header and its size: a file is decrypted in memory, so a device
    /// or a file of another kind is refused before it can exhaust memory. Refusals name the path.
    /// </summary>
    public static async Task<byte[]> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var start = new byte[Magic.Length];
        var read = await stream.ReadAtLeastAsync(start, start.Length, throwOnEndOfStream: false, cancellationToken);
        if (!LooksEncrypted(start.AsSpan(0, read)))
        {
            throw new InvalidInputException($"'{path}' is not an encrypted Backfill file (its header does not start with BFENC). Give an encrypted output (*.csv.enc).");
        }

        if (stream.CanSeek && stream.Length > MaxFileBytes)
        {
            throw TooLarge(path);
        }

        // A device or pipe has no length to check: read at most one byte past the bound.
        var data = new MemoryStream();
        data.Write(start, 0, read);
        var buffer = new byte[81_920];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (data.Length + n > MaxFileBytes)
            {
                throw TooLarge(path);
            }

            data.Write(buffer, 0, n);
        }

        return data.ToArray();
    }

    /// <summary>Decrypts and authenticates the whole file, finding its key with <paramref name="keys"/>.</summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> data, Func<string, EncryptionKey?> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var (keyId, chunkSize, headerLength) = ParseHeader(data);
        var key = keys(keyId) ?? throw new UnknownKeyException(keyId);
        var header = data[..headerLength];
        var output = new MemoryStream();
        var at = headerLength;
        using var gcm = new AesGcm(key.Material, TagSize);
        for (var i = 0; ; i++)
        {
            if (data.Length - at < 4 + TagSize)
            {
                throw new FileCorruptionException($"Encrypted file is truncated at chunk {i} (no final chunk).");
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(data[at..]);
            if (length < 0 || length > chunkSize || data.Length - at - 4 - TagSize < length)
            {
                throw new FileCorruptionException($"Encrypted file has a bad length at chunk {i}: it was truncated or altered.");
            }

            at += 4;
            var final = at + length + TagSize == data.Length;
            var plain = new byte[length];
            try
            {
                gcm.Decrypt(Nonce(header, i), data.Slice(at, length), data.Slice(at + length, TagSize), plain, Aad(header, i, final));
            }
            catch (AuthenticationTagMismatchException e)
            {
                throw i == 0
                    ? new FileCorruptionException($"Cannot decrypt with key '{keyId}': the key is wrong for this file (same id, other material) or the file was altered.", e)
                    : new FileCorruptionException($"Encrypted file chunk {i} fails authentication: the file was altered, truncated or reordered.", e);
            }

            output.Write(plain);
            at += length + TagSize;
            if (final)
            {
                return output.ToArray();
            }
        }
    }

    private static InvalidInputException TooLarge(string path) =>
        new($"'{path}' is larger than {MaxFileBytes >> 20} MiB, the most an encrypted output is read into memory for; it is not an output this tool wrote, or it was altered.");

    private static (string KeyId, int ChunkSize, int HeaderLength) ParseHeader(ReadOnlySpan<byte> data)
    {
        if (data.Length < Magic.Length + 2 || !data.StartsWith(Magic))
        {
            throw new FileCorruptionException("Not an encrypted Backfill file (bad magic): plaintext or another format where ciphertext was expected.");
        }

        var version = data[Magic.Length];
        if (version != Version)
        {
            throw new FileCorruptionException($"Encrypted file format version {version} is not supported (this build reads version {Version}).");
        }

        int n = data[Magic.Length + 1];
        var length = Magic.Length + 2 + n + 4 + 8;
        if (n == 0 || data.Length < length)
        {
            throw new FileCorruptionException("Encrypted file header is truncated.");
        }

        var keyId = Encoding.ASCII.GetString(data.Slice(Magic.Length + 2, n));
        if (!EncryptionKey.IsValidId(keyId))
        {
            throw new FileCorruptionException("Encrypted file header names an invalid key id.");
        }

        var chunkSize = BinaryPrimitives.ReadInt32BigEndian(data[(Magic.Length + 2 + n)..]);
        return chunkSize < 16 ? throw new FileCorruptionException("Encrypted file header has a bad chunk size.") : (keyId, chunkSize, length);
    }

    private static byte[] Header(string keyId, int chunkSize, byte[] noncePrefix)
    {
        var id = Encoding.ASCII.GetBytes(keyId);
        var header = new byte[Magic.Length + 2 + id.Length + 4 + 8];
        Magic.CopyTo(header, 0);
        header[Magic.Length] = Version;
        header[Magic.Length + 1] = checked((byte)id.Length);
        id.CopyTo(header, Magic.Length + 2);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(Magic.Length + 2 + id.Length), chunkSize);
        noncePrefix.CopyTo(header, header.Length - 8);
        return header;
    }

    private static byte[] Nonce(ReadOnlySpan<byte> header, int chunk)
    {
        var nonce = new byte[12];
        header[^8..].CopyTo(nonce);
        BinaryPrimitives.WriteInt32BigEndian(nonce.AsSpan(8), chunk);
        return nonce;
    }

    private static byte[] Aad(ReadOnlySpan<byte> header, int chunk, bool final)
    {
        var aad = new byte[header.Length + 9];
        header.CopyTo(aad);
        BinaryPrimitives.WriteInt64BigEndian(aad.AsSpan(header.Length), chunk);
        aad[^1] = final ? (byte)1 : (byte)0;
        return aad;
    }
}
