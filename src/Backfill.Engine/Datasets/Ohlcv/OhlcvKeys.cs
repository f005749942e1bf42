using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// The ohlcv key store as configured: <c>ohlcv.keyStore</c> (file, keyring or auto), <c>ohlcv.keyFile</c>, and
/// <c>OHLCV_ENCRYPTION_KEY</c> (base64, 32 bytes) overriding the active key. Key material is never printed.
/// </summary>
public static class OhlcvKeys
{
    public const string BackfillVariable = "BACKFILL_OHLCV_ENCRYPTIONKEY";

    public static KeyStore Load(DatasetHost host, EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        return KeyStore.Load(settings.Get(OhlcvSettings.OhlcvKeyFile).Value!, EnvironmentKey(host), Keyring(host, settings));
    }

    public static KeyStore Init(DatasetHost host, EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        return KeyStore.Init(settings.Get(OhlcvSettings.OhlcvKeyFile).Value!, host.Time.GetUtcNow(), Keyring(host, settings));
    }

    private static string? EnvironmentKey(DatasetHost host) =>
        host.Variable(BackfillVariable) is { } v && !string.IsNullOrWhiteSpace(v) ? v : host.Variable(KeyStore.EnvironmentVariable);

    /// <summary>The OS keyring chosen by <c>ohlcv.keyStore</c>, or null for the key file (with a warning when <c>auto</c> falls back).</summary>
    private static IKeyring? Keyring(DatasetHost host, EffectiveSettings settings)
    {
        var mode = settings.Get(OhlcvSettings.OhlcvKeyStore).Value;
        if (mode == "file")
        {
            return null;
        }

        var (keyring, reason) = OsKeyring.Detect(host.Variable);
        if (keyring is not null)
        {
            return keyring;
        }

        if (mode == "keyring")
        {
            throw new InvalidInputException(
                $"ohlcv.keyStore is 'keyring' but no OS keyring is usable here: {reason}. Set ohlcv.keyStore to 'file' (the key file ohlcv.keyFile, 0600) or 'auto'.");
        }

        host.Warn($"ohlcv.keyStore=auto: no OS keyring ({reason}); using the key file {settings.Get(OhlcvSettings.OhlcvKeyFile).Value}.");
        return null;
    }
}
