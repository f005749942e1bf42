using System.Diagnostics;
using System.Text;
using Backfill.Core.Errors;

namespace Backfill.Encryption;

/// <summary>Where the key store's JSON is kept when it is not a key file: one secret in the OS keyring.</summary>
public interface IKeyring
{
    /// <summary>For messages: which keyring and which item (never the secret).</summary>
    string Description { get; }

    /// <summary>The stored text, or null when there is no such item.</summary>
    string? Read();

    /// <summary>Creates or replaces the item in one operation of the keyring service.</summary>
    void Write(string secret);
}

/// <summary>
/// The OS keyring "where one exists": on Linux the Secret Service through <c>secret-tool</c> (libsecret) when it is on PATH and a
/// D-Bus session bus is set (<c>DBUS_SESSION_BUS_ADDRESS</c>); on macOS the login keychain through <c>security</c>. The secret
/// always travels on the tool's standard input, never as a command-line argument (where other users could read it in the
/// process list). The item holds base64 of the key store JSON.
/// </summary>
public static class OsKeyring
{
    public const string Service = "backfill";
    public const string Account = "ohlcv-keys";

    /// <summary>The keyring of this machine, or null and the reason none is usable.</summary>
    /// <param name="variable">Reads an environment variable (PATH, DBUS_SESSION_BUS_ADDRESS).</param>
    public static (IKeyring? Keyring, string? Reason) Detect(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        if (OperatingSystem.IsMacOS())
        {
            return Find("security", variable("PATH")) is { } security
                ? (new MacKeychain(security), null)
                : (null, "the macOS 'security' tool is not on PATH");
        }

        if (!OperatingSystem.IsLinux())
        {
            return (null, "no supported keyring on this operating system (Linux Secret Service or macOS keychain)");
        }

        var tool = Find("secret-tool", variable("PATH"));
        if (tool is null)
        {
            return (null, "'secret-tool' is not on PATH (Debian/Ubuntu: apt-get install libsecret-tools)");
        }

        return string.IsNullOrWhiteSpace(variable("DBUS_SESSION_BUS_ADDRESS"))
            ? (null, "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set, as on a headless server), so no Secret Service")
            : (new SecretServiceKeyring(tool, variable("DBUS_SESSION_BUS_ADDRESS")!), null);
    }

    private static string? Find(string tool, string? path)
    {
        foreach (var folder in (path ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    internal static (int Exit, string Out, string Error) Run(string tool, IEnumerable<string> arguments, string? input, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidInputException($"Cannot start '{tool}'.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidInputException($"'{Path.GetFileName(tool)}' did not answer within 30 s (is the keyring locked and waiting for a password?).");
        }

        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    internal static string Encode(string secret) => Convert.ToBase64String(Encoding.UTF8.GetBytes(secret));

    internal static string? Decode(string stored, string where)
    {
        var text = stored.Trim();
        if (text.Length == 0)
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            throw new InvalidInputException($"The keyring item {where} is not in Backfill's format; it was written by something else. Remove it or choose ohlcv.keyStore=file.");
        }
    }

    /// <summary>Only the first line of a tool's error, without anything that could echo input.</summary>
    internal static string Brief(string error) => error.Split('\n', 2)[0].Trim() is { Length: > 0 } line ? line : "no message";
}

/// <summary>The freedesktop Secret Service (GNOME Keyring, KWallet...) through <c>secret-tool</c>.</summary>
internal sealed class SecretServiceKeyring(string tool, string bus) : IKeyring
{
    private static readonly string[] Attributes = ["service", OsKeyring.Service, "account", OsKeyring.Account];

    public string Description => $"the Secret Service (secret-tool; service={OsKeyring.Service}, account={OsKeyring.Account})";

    public string? Read()
    {
        var (exit, output, error) = OsKeyring.Run(tool, ["lookup", .. Attributes], null, Bus());
        if (exit != 0)
        {
            // secret-tool exits 1 with nothing on stderr when no item matches.
            return string.IsNullOrWhiteSpace(error) ? null
                : throw new InvalidInputException($"secret-tool lookup failed (exit {exit}): {OsKeyring.Brief(error)}. Unlock the keyring, or choose ohlcv.keyStore=file.");
        }

        return OsKeyring.Decode(output, Description);
    }

    public void Write(string secret)
    {
        var (exit, _, error) = OsKeyring.Run(tool, ["store", "--label=Backfill ohlcv encryption keys", .. Attributes], OsKeyring.Encode(secret), Bus());
        if (exit != 0)
        {
            throw new InvalidInputException($"secret-tool store failed (exit {exit}): {OsKeyring.Brief(error)}. Unlock the keyring, or choose ohlcv.keyStore=file.");
        }
    }

    private Dictionary<string, string> Bus() => new(StringComparer.Ordinal) { ["DBUS_SESSION_BUS_ADDRESS"] = bus };
}

/// <summary>The macOS login keychain through <c>security</c>; the secret goes through <c>security -i</c>'s standard input.</summary>
internal sealed class MacKeychain(string tool) : IKeyring
{
    public string Description => $"the macOS keychain (service={OsKeyring.Service}, account={OsKeyring.Account})";

    public string? Read()
    {
        var (exit, output, _) = OsKeyring.Run(tool, ["find-generic-password", "-s", OsKeyring.Service, "-a", OsKeyring.Account, "-w"], null);
        return exit == 0 ? OsKeyring.Decode(output, Description) : null;
    }

    public void Write(string secret)
    {
        // Base64 holds no quote or space, so the interactive command line needs no escaping.
        var command = $"add-generic-password -U -s {OsKeyring.Service} -a {OsKeyring.Account} -l \"Backfill ohlcv encryption keys\" -w {OsKeyring.Encode(secret)}\n";
        var (exit, _, error) = OsKeyring.Run(tool, ["-i"], command);
        if (exit != 0)
        {
            throw new InvalidInputException($"security add-generic-password failed (exit {exit}): {OsKeyring.Brief(error)}. Unlock the keychain, or choose ohlcv.keyStore=file.");
        }
    }
}
