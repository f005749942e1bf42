using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Backfill.Encryption;

public enum KeyStatus
{
    /// <summary>Encrypts new files.</summary>
    Active,

    /// <summary>A rotation away from it is in progress; still decrypts.</summary>
    Retiring,

    /// <summary>No file in the output should use it after the rotation verified; kept to read older backups.</summary>
    Retired,
}

/// <summary>A 256-bit key and its id. ToString never shows the material.</summary>
public sealed partial class EncryptionKey
{
    public EncryptionKey(string id, byte[] material, KeyStatus status, DateTimeOffset created, bool fromEnvironment = false)
    {
        ArgumentNullException.ThrowIfNull(material);
        if (!IsValidId(id))
        {
            throw new ArgumentException("A key id is 1-64 characters of letters, digits, '-' or '_'.", nameof(id));
        }

        if (material.Length != EncryptedFile.KeySize)
        {
            throw new ArgumentException("An encryption key is 32 bytes (AES-256).", nameof(material));
        }

        Id = id;
        Material = material;
        Status = status;
        Created = created;
        FromEnvironment = fromEnvironment;
    }

    public string Id { get; }

    internal byte[] Material { get; }

    public KeyStatus Status { get; }

    public DateTimeOffset Created { get; }

    public bool FromEnvironment { get; }

    public EncryptionKey WithStatus(KeyStatus status) => new(Id, Material, status, Created, FromEnvironment);

    public override string ToString() => $"{Id} ({Status.ToString().ToLowerInvariant()})";

    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    public static EncryptionKey Generate(DateTimeOffset now) =>
        new($"k{now:yyyyMMdd}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}", RandomNumberGenerator.GetBytes(EncryptedFile.KeySize), KeyStatus.Active, now);

    /// <summary>
    /// A key given as base64 (32 bytes) in <c>OHLCV_ENCRYPTION_KEY</c>. Its id is a fingerprint of the material
    /// (<c>env-</c> + 8 hex of SHA-256 over a label and the key), so a different key can never pass for it.
    /// </summary>
    public static EncryptionKey FromBase64(string text, bool fromEnvironment)
    {
        byte[] material;
        try
        {
            material = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new Core.Errors.InvalidInputException("OHLCV_ENCRYPTION_KEY is not base64. Give 32 random bytes in base64 (e.g. 'openssl rand -base64 32').");
        }

        if (material.Length != EncryptedFile.KeySize)
        {
            throw new Core.Errors.InvalidInputException($"OHLCV_ENCRYPTION_KEY holds {material.Length} bytes; AES-256 needs 32 (e.g. 'openssl rand -base64 32').");
        }

        var print = SHA256.HashData([.. Encoding.ASCII.GetBytes("backfill-key-id:"), .. material]);
        return new EncryptionKey("env-" + Convert.ToHexStringLower(print.AsSpan(0, 4)), material, KeyStatus.Active, DateTimeOffset.UnixEpoch, fromEnvironment);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
