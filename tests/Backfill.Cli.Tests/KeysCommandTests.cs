using System.Text;
using Backfill.Encryption;

namespace Backfill.Cli.Tests;

public sealed class KeysCommandTests
{
    [Fact]
    public async Task Keys_init_check_rotate_re_encrypt_every_file_and_never_print_material()
    {
        using var cli = new CliRunner();
        var keyFile = Path.Combine(cli.Folder, "keys", "ohlcv-keys.json");
        var output = Path.Combine(cli.Folder, "out");
        Directory.CreateDirectory(output);
        cli.Env["BACKFILL_OHLCV_KEYFILE"] = keyFile;
        cli.Env["BACKFILL_PROCESSING_OUTPUTDIRECTORY"] = output;
        cli.Env["BACKFILL_PROCESSING_TEMPDIRECTORY"] = Path.Combine(cli.Folder, "temp");
        Directory.CreateDirectory(Path.Combine(cli.Folder, "temp"));

        var init = await cli.RunAsync("keys", "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Equal(2, (await cli.RunAsync("keys", "init")).ExitCode);

        var store = KeyStore.Load(keyFile, null);
        var files = new Dictionary<string, byte[]>();
        foreach (var day in new[] { "02", "03" })
        {
            var path = Path.Combine(output, "ohlcv", "2024", "01", day, $"ohlcv-2024-01-{day}.csv.enc");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var plain = Encoding.UTF8.GetBytes($"date,symbol,close\n2024-01-{day},AAPL,185.5\n");
            await File.WriteAllBytesAsync(path, EncryptedFile.Encrypt(plain, store.ActiveKey), TestContext.Current.CancellationToken);
            files[path] = plain;
        }

        var check = await cli.RunAsync("keys", "check", "--format", "json");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal(2, check.Json().EnumerateArray().Single().GetProperty("files").GetInt32());

        var rotate = await cli.RunAsync("keys", "rotate", "--format", "json");
        Assert.True(rotate.ExitCode == 0, rotate.ToString());
        var row = rotate.Json().EnumerateArray().Single();
        Assert.Equal(2, row.GetProperty("rotated").GetInt32());
        Assert.Equal(store.ActiveKey.Id, row.GetProperty("retired").GetString());

        var after = KeyStore.Load(keyFile, null);
        foreach (var (path, plain) in files)
        {
            Assert.Equal(plain, EncryptedFile.Decrypt(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken), id => id == after.ActiveKey.Id ? after.ActiveKey : null));
        }

        var material = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(keyFile, TestContext.Current.CancellationToken))
            .RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("material").GetString()!).ToList();
        foreach (var text in new[] { init.Out + init.Error, check.Out + check.Error, rotate.Out + rotate.Error })
        {
            Assert.All(material, m => Assert.DoesNotContain(m, text, StringComparison.Ordinal));
        }

        Assert.Empty(Directory.GetFiles(output, "*.csv", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_readable_key_file_is_refused_with_the_fix()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var cli = new CliRunner();
        var keyFile = Path.Combine(cli.Folder, "k.json");
        cli.Env["BACKFILL_OHLCV_KEYFILE"] = keyFile;
        Assert.Equal(0, (await cli.RunAsync("keys", "init")).ExitCode);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var check = await cli.RunAsync("keys", "check");
        Assert.Equal(2, check.ExitCode);
        Assert.Contains("chmod 600", check.Error, StringComparison.Ordinal);
    }
}
