using System.Text;
using Backfill.Core.Errors;
using Backfill.Encryption;

namespace Backfill.Engine.Configuration;

/// <summary>
/// A secret setting (<c>alphavantage.apiKey</c>) as stored in the ledger: <c>enc:v1:</c> + base64 of the value encrypted with
/// the ohlcv key store's active key (the file format of <see cref="EncryptedFile"/>, so the header names the key id and a
/// rotation of the key file keeps old values readable while their key is kept). The plaintext is never stored and never shown.
/// </summary>
public static class SecretSetting
{
    public const string Prefix = "enc:v1:";
    public const string Mask = "***";

    public static bool IsProtected(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Protect(string plaintext, KeyStore keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var bytes = Encoding.UTF8.GetBytes(plaintext);
        try
        {
            return Prefix + Convert.ToBase64String(EncryptedFile.Encrypt(bytes, keys.ActiveKey));
        }
        finally
        {
            Array.Clear(bytes);
        }
    }

    /// <summary>The plaintext of a stored value (or the value itself when it came unprotected from a flag or the environment).</summary>
    public static string Reveal(string key, string value, KeyStore? keys)
    {
        if (!IsProtected(value))
        {
            return value;
        }

        if (keys is null)
        {
            throw new InvalidInputException($"{key} is stored encrypted and no ohlcv key store is available to read it. Set ohlcv.keyFile or {KeyStore.EnvironmentVariable}.");
        }

        byte[] data;
        try
        {
            data = Convert.FromBase64String(value[Prefix.Length..]);
        }
        catch (FormatException)
        {
            throw new InvalidInputException($"{key}: the stored value is damaged. Set it again: backfill config set {key} -   (reads the value from stdin)");
        }

        var plain = EncryptedFile.Decrypt(data, keys.Find);
        try
        {
            return Encoding.UTF8.GetString(plain);
        }
        finally
        {
            Array.Clear(plain);
        }
    }

    /// <summary>How a stored or effective value of a secret is shown: never the value; the key id when it is encrypted.</summary>
    public static string Describe(string value)
    {
        if (!IsProtected(value))
        {
            return Mask;
        }

        try
        {
            return $"{Mask} (encrypted with key {EncryptedFile.ReadKeyId(Convert.FromBase64String(value[Prefix.Length..]))})";
        }
        catch (Exception e) when (e is FormatException or BackfillException)
        {
            return $"{Mask} (damaged)";
        }
    }
}
