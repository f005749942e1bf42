using System.Security.Cryptography;
using System.Text;
using Backfill.Core.Errors;

namespace Backfill.Encryption.Tests;

public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bf-enc-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

public sealed class EncryptedFileTests
{
    private static readonly EncryptionKey Key = EncryptionKey.Generate(DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData(0, 64)]
    [InlineData(1, 64)]
    [InlineData(64, 64)]
    [InlineData(1000, 64)]
    [InlineData(100_000, 1 << 20)]
    public void Round_trips_any_length_and_chunking(int length, int chunk)
    {
        var plain = RandomNumberGenerator.GetBytes(length);
        var sealedBytes = EncryptedFile.Encrypt(plain, Key, chunk);
        Assert.Equal(Key.Id, EncryptedFile.ReadKeyId(sealedBytes));
        Assert.Equal(plain, EncryptedFile.Decrypt(sealedBytes, id => id == Key.Id ? Key : null));
    }

    [Fact]
    public void Same_plaintext_twice_gives_different_ciphertext()
    {
        var plain = Encoding.UTF8.GetBytes("date,symbol\n");
        Assert.NotEqual(EncryptedFile.Encrypt(plain, Key), EncryptedFile.Encrypt(plain, Key));
    }

    [Fact]
    public void Every_flipped_byte_is_detected()
    {
        var plain = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("2024-01-02,AAPL,185.1,186.2,183.9,185.6,4500000\n", 8)));
        var data = EncryptedFile.Encrypt(plain, Key, chunkSize: 128);
        for (var i = 0; i < data.Length; i++)
        {
            var tampered = (byte[])data.Clone();
            tampered[i] ^= 0x01;
            Assert.ThrowsAny<BackfillException>(() => EncryptedFile.Decrypt(tampered, id => id == Key.Id ? Key : null));
        }
    }

    [Fact]
    public void Truncation_at_a_chunk_boundary_and_reordering_are_detected()
    {
        var plain = RandomNumberGenerator.GetBytes(400);
        var data = EncryptedFile.Encrypt(plain, Key, chunkSize: 100);
        var header = data.Length - (4 * (4 + 100 + 16));
        var chunk = 4 + 100 + 16;
        var truncated = data[..(header + (2 * chunk))];
        var e = Assert.Throws<FileCorruptionException>(() => EncryptedFile.Decrypt(truncated, _ => Key));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        byte[] swapped = [.. data[..header], .. data[(header + chunk)..(header + (2 * chunk))], .. data[header..(header + chunk)], .. data[(header + (2 * chunk))..]];
        Assert.Throws<FileCorruptionException>(() => EncryptedFile.Decrypt(swapped, _ => Key));
    }

    [Fact]
    public void Wrong_key_is_refused_with_a_clear_message()
    {
        var data = EncryptedFile.Encrypt("secret bars"u8, Key);
        var unknown = Assert.Throws<UnknownKeyException>(() => EncryptedFile.Decrypt(data, _ => null));
        Assert.Contains(Key.Id, unknown.Message, StringComparison.Ordinal);
        Assert.Contains("not in the key store", unknown.Message, StringComparison.Ordinal);
        var impostor = new EncryptionKey(Key.Id, RandomNumberGenerator.GetBytes(32), KeyStatus.Active, DateTimeOffset.UnixEpoch);
        var wrong = Assert.Throws<FileCorruptionException>(() => EncryptedFile.Decrypt(data, _ => impostor));
        Assert.Contains("key is wrong", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plaintext_is_refused_where_ciphertext_is_expected()
    {
        var e = Assert.Throws<FileCorruptionException>(() => EncryptedFile.Decrypt("date,symbol\n"u8, _ => Key));
        Assert.Contains("bad magic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_key_id_is_a_fingerprint_so_another_env_key_cannot_pass_for_it()
    {
        var a = EncryptionKey.FromBase64(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), true);
        var b = EncryptionKey.FromBase64(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), true);
        Assert.NotEqual(a.Id, b.Id);
        var data = EncryptedFile.Encrypt("x"u8, a);
        Assert.Throws<UnknownKeyException>(() => EncryptedFile.Decrypt(data, id => id == b.Id ? b : null));
        Assert.Throws<InvalidInputException>(() => EncryptionKey.FromBase64("c2hvcnQ=", true));
        Assert.DoesNotContain(Convert.ToBase64String(a.Material), a.ToString(), StringComparison.Ordinal);
    }
}

public sealed class KeyStoreTests
{
    [Fact]
    public void Init_creates_a_0600_file_in_a_0700_directory_and_never_overwrites()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "keys", "ohlcv-keys.json");
        var store = KeyStore.Init(path, DateTimeOffset.UtcNow);
        Assert.Single(store.FileKeys);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }

        Assert.Throws<InvalidInputException>(() => KeyStore.Init(path, DateTimeOffset.UtcNow));
        Assert.Equal(store.ActiveKey.Id, KeyStore.Load(path, null).ActiveKey.Id);
    }

    [Fact]
    public void A_group_or_world_readable_key_file_is_refused()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "k.json");
        KeyStore.Init(path, DateTimeOffset.UtcNow);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var e = Assert.Throws<InvalidInputException>(() => KeyStore.Load(path, null));
        Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_key_overrides_for_new_files_but_file_keys_still_decrypt()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "k.json");
        var fileKey = KeyStore.Init(path, DateTimeOffset.UtcNow).ActiveKey;
        var store = KeyStore.Load(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Assert.True(store.ActiveKey.FromEnvironment);
        Assert.NotNull(store.Find(fileKey.Id));
        Assert.Throws<InvalidInputException>(() => KeyStore.Load(Path.Combine(dir.Path, "none.json"), null));
    }

    [Fact]
    public void Damaged_key_file_message_does_not_quote_the_file()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "k.json");
        File.WriteAllText(path, "{\"format\":1,\"keys\":[{\"id\":\"a\",\"material\":\"TOPSECRETMATERIAL\"");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var e = Assert.Throws<InvalidInputException>(() => KeyStore.Load(path, null));
        Assert.DoesNotContain("TOPSECRET", e.Message, StringComparison.Ordinal);
    }
}

public sealed class KeyRotationTests
{
    private sealed class Crash : Exception;

    private static Dictionary<string, byte[]> MakeFiles(string root, KeyStore store, int count)
    {
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(root, "ohlcv", $"d{i:D2}", $"ohlcv-{i:D2}.csv.enc");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var plain = Encoding.UTF8.GetBytes($"date,symbol,close\n2024-01-{i + 1:D2},AAPL,{100 + i}\n");
            File.WriteAllBytes(path, EncryptedFile.Encrypt(plain, store.ActiveKey));
            files[path] = plain;
        }

        return files;
    }

    private static IEnumerable<string> Enumerate(string root) =>
        Directory.GetFiles(Path.Combine(root, "ohlcv"), "*.enc", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    [Fact]
    public void Rotation_re_encrypts_every_file_and_retires_the_old_key()
    {
        using var dir = new TempDir();
        var keyPath = Path.Combine(dir.Path, "keys", "k.json");
        var store = KeyStore.Init(keyPath, DateTimeOffset.UtcNow);
        var old = store.ActiveKey.Id;
        var files = MakeFiles(dir.Path, store, 5);
        var report = KeyRotation.Rotate(KeyStore.Load(keyPath, null), () => Enumerate(dir.Path), DateTimeOffset.UtcNow);
        Assert.Equal((5, 0, 5), (report.Rotated, report.AlreadyCurrent, report.Verified));
        Assert.Equal([old], report.Retired);
        var after = KeyStore.Load(keyPath, null);
        Assert.Equal(KeyStatus.Retired, after.Find(old)!.Status);
        foreach (var (path, plain) in files)
        {
            var data = File.ReadAllBytes(path);
            Assert.Equal(report.NewKeyId, EncryptedFile.ReadKeyId(data));
            Assert.Equal(plain, EncryptedFile.Decrypt(data, id => id == report.NewKeyId ? after.ActiveKey : null));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Rotation_interrupted_at_random_points_loses_nothing(int seed)
    {
        using var dir = new TempDir();
        var keyPath = Path.Combine(dir.Path, "keys", "k.json");
        var store = KeyStore.Init(keyPath, DateTimeOffset.UtcNow);
        var original = store.ActiveKey.Id;
        var files = MakeFiles(dir.Path, store, 6);
        var random = new Random(seed);
        var crashes = 0;
        RotationReport? report = null;
        for (var run = 0; run < 50 && report is null; run++)
        {
            var steps = 0;
            var crashAt = random.Next(1, 30);
            try
            {
                report = KeyRotation.Rotate(KeyStore.Load(keyPath, null), () => Enumerate(dir.Path), DateTimeOffset.UtcNow, step =>
                {
                    if (++steps == crashAt)
                    {
                        throw new Crash();
                    }
                });
            }
            catch (Crash)
            {
                crashes++;

                // After any crash, every file still decrypts with some key of the store: nothing is lost.
                var mid = KeyStore.Load(keyPath, null);
                foreach (var (path, plain) in files)
                {
                    Assert.Equal(plain, EncryptedFile.Decrypt(File.ReadAllBytes(path), mid.Find));
                }

                // The original key is never retired before the end.
                Assert.NotEqual(KeyStatus.Retired, mid.Find(original)!.Status);
            }

            EncryptedFileWriter.RemoveLeftovers(dir.Path);
        }

        Assert.NotNull(report);
        Assert.True(crashes > 0);
        var final = KeyStore.Load(keyPath, null);
        Assert.Equal(KeyStatus.Retired, final.Find(original)!.Status);
        Assert.Single(final.FileKeys, k => k.Status == KeyStatus.Active);
        foreach (var (path, plain) in files)
        {
            var data = File.ReadAllBytes(path);
            Assert.Equal(final.ActiveKey.Id, EncryptedFile.ReadKeyId(data));
            Assert.Equal(plain, EncryptedFile.Decrypt(data, id => id == final.ActiveKey.Id ? final.ActiveKey : null));
        }

        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Rotation_refuses_an_environment_key()
    {
        using var dir = new TempDir();
        var store = KeyStore.Load(Path.Combine(dir.Path, "none.json"), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        Assert.Throws<InvalidInputException>(() => KeyRotation.Rotate(store, () => [], DateTimeOffset.UtcNow));
    }
}
