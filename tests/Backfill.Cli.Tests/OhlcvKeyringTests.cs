using System.Text;
using System.Text.Json;
using Backfill.Simulators.AlphaVantage;

namespace Backfill.Cli.Tests;

/// <summary>
/// <c>ohlcv.keyStore=keyring</c> with a stand-in <c>secret-tool</c> placed first on PATH: it records its arguments and keeps the
/// secret it is given on stdin in a file, as the Secret Service would. Linux only (the macOS path uses <c>security</c>).
/// </summary>
public sealed class OhlcvKeyringTests : IAsyncLifetime
{
    private readonly CliRunner _cli = new(new DateTimeOffset(2025, 6, 30, 23, 0, 0, TimeSpan.Zero));
    private AlphaVantageSimulator _simulator = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string FakeDir => Path.Combine(_cli.Folder, "fakebin");

    private string ArgsLog => Path.Combine(FakeDir, "args.log");

    private string Secret => Path.Combine(FakeDir, "secret");

    private string KeyFile => Path.Combine(_cli.Folder, "keys", "ohlcv-keys.json");

    public async ValueTask InitializeAsync()
    {
        _simulator = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, Ct);
        Directory.CreateDirectory(FakeDir);
        var script = Path.Combine(FakeDir, "secret-tool");
        await File.WriteAllTextAsync(script, $$"""
            #!/bin/sh
            dir='{{FakeDir}}'
            for a in "$@"; do printf '[%s]' "$a"; done >> "$dir/args.log"
            printf ' bus=%s\n' "$DBUS_SESSION_BUS_ADDRESS" >> "$dir/args.log"
            case "$1" in
              store) cat > "$dir/secret" ;;
              lookup) [ -s "$dir/secret" ] || exit 1; cat "$dir/secret" ;;
              *) echo "unexpected command $1" >&2; exit 2 ;;
            esac
            """.Replace("\r", string.Empty, StringComparison.Ordinal), Ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        _cli.Env["PATH"] = FakeDir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        _cli.Env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/run/user/1000/bus-test";
        _cli.Env["BACKFILL_OHLCV_KEYFILE"] = KeyFile;
        _cli.Env["ALPHA_VANTAGE_API_KEY"] = "av-keyring-test";
    }

    public async ValueTask DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _cli.Dispose();
    }

    private Task<CliResult> Ohlcv(params string[] args) => _cli.RunAsync(
    [
        .. args, "--dataset", "ohlcv",
        "--set", $"alphavantage.baseUrl={_simulator.BaseAddress.ToString().TrimEnd('/')}",
        "--set", "alphavantage.minIntervalMs=0",
        "--set", "ohlcv.symbols=AAPL",
        "--set", "processing.startDate=2025-06-02",
        "--set", $"processing.outputDirectory={Path.Combine(_cli.Folder, "out")}",
        "--set", $"processing.tempDirectory={Path.Combine(_cli.Folder, "temp")}",
    ]);

    private async Task<IReadOnlyList<string>> MaterialsAsync()
    {
        var json = Encoding.UTF8.GetString(Convert.FromBase64String((await File.ReadAllTextAsync(Secret, Ct)).Trim()));
        return [.. JsonDocument.Parse(json).RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("material").GetString()!)];
    }

    [Fact]
    public async Task Keys_live_in_the_secret_service_passed_on_stdin_never_as_an_argument()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the Secret Service path is Linux only");
        _cli.Env["BACKFILL_OHLCV_KEYSTORE"] = "keyring";

        var init = await _cli.RunAsync("keys", "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("Secret Service", init.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(KeyFile));
        string[] lookup = ["[lookup][service][backfill][account][ohlcv-keys] bus=unix:path=/run/user/1000/bus-test"];
        string[] store = ["[store][--label=Backfill ohlcv encryption keys][service][backfill][account][ohlcv-keys] bus=unix:path=/run/user/1000/bus-test"];
        var calls = await File.ReadAllLinesAsync(ArgsLog, Ct);
        Assert.Equal([.. lookup, .. store], calls);

        var run = await Ohlcv("process", "2025-06-24");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(0, (await Ohlcv("verify")).ExitCode);
        var rotate = await Ohlcv("keys", "rotate");
        Assert.True(rotate.ExitCode == 0, rotate.ToString());
        Assert.Equal(0, (await Ohlcv("keys", "check")).ExitCode);
        Assert.Equal(0, (await Ohlcv("verify")).ExitCode);

        var materials = await MaterialsAsync();
        Assert.Equal(2, materials.Count);
        var args = await File.ReadAllTextAsync(ArgsLog, Ct);
        Assert.All(await File.ReadAllLinesAsync(ArgsLog, Ct), line => Assert.True(line.StartsWith("[lookup]", StringComparison.Ordinal) || line == store[0], line));
        foreach (var material in materials)
        {
            Assert.DoesNotContain(material, args, StringComparison.Ordinal);
        }

        Assert.DoesNotContain((await File.ReadAllTextAsync(Secret, Ct)).Trim(), args, StringComparison.Ordinal);
        Assert.False(File.Exists(KeyFile));

        var again = await _cli.RunAsync("keys", "init");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("never overwritten", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_session_bus_keyring_is_refused_with_the_reason_and_auto_falls_back_to_the_key_file()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "the Secret Service path is Linux only");
        _cli.Env["DBUS_SESSION_BUS_ADDRESS"] = string.Empty;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS")))
        {
            Assert.Skip("this test process has a session bus in its own environment");
        }

        var refused = await _cli.RunAsync("keys", "init", "--set", "ohlcv.keyStore=keyring");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("DBUS_SESSION_BUS_ADDRESS", refused.Error, StringComparison.Ordinal);
        Assert.Contains("ohlcv.keyStore", refused.Error, StringComparison.Ordinal);

        var auto = await _cli.RunAsync("keys", "init", "--set", "ohlcv.keyStore=auto");
        Assert.True(auto.ExitCode == 0, auto.ToString());
        Assert.Contains("using the key file", auto.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(KeyFile));
        Assert.False(File.Exists(ArgsLog));
    }
}
