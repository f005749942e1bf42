using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Backfill.Cli.Tests;

/// <summary>
/// The shipped deployment files: the systemd units pass <c>systemd-analyze verify</c> (with their binary path pointed at
/// the built program, as the documented path exists only on an installed machine), every command line they and the
/// crontab example in docs/deployment.md run parses with the real command tree, and the timer fires after the close.
/// </summary>
public sealed partial class DeploymentTests
{
    private const string InstalledBinary = "/opt/backfill/bin/backfill";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Backfill.slnx")))
            {
                root = root.Parent;
            }

            Assert.NotNull(root);
            return root.FullName;
        }
    }

    private static string UnitFolder => Path.Combine(Root, "deploy", "systemd");

    [Fact]
    public async Task The_systemd_units_pass_systemd_analyze_verify()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "systemd units are Linux-only.");
        var analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(analyze is null, "systemd-analyze is not installed (apt-get install systemd): the units were not verified.");
        var program = Path.Combine(AppContext.BaseDirectory, "backfill");
        Assert.True(File.Exists(program), $"the built program {program} is missing");

        var copy = Directory.CreateTempSubdirectory("backfill-units-").FullName;
        try
        {
            var units = Directory.GetFiles(UnitFolder).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["backfill-serve.service", "backfill.service", "backfill.timer"], units.Select(Path.GetFileName));
            foreach (var unit in units)
            {
                var text = await File.ReadAllTextAsync(unit, Ct);
                await File.WriteAllTextAsync(Path.Combine(copy, Path.GetFileName(unit)), text.Replace(InstalledBinary, program, StringComparison.Ordinal), Ct);
            }

            var start = new ProcessStartInfo(analyze!) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = copy };
            start.ArgumentList.Add("verify");
            foreach (var unit in units)
            {
                start.ArgumentList.Add(Path.Combine(copy, Path.GetFileName(unit)));
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(Ct);
            var error = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            var report = (await output + await error).Trim();

            // Unknown keys and bad values are warnings with exit 0: any line it prints is a problem in a unit.
            Assert.True(process.ExitCode == 0 && report.Length == 0, $"systemd-analyze verify exited {process.ExitCode}:\n{report}");
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task The_timer_runs_on_weekdays_after_the_new_york_close_and_catches_up_missed_runs()
    {
        var timer = await File.ReadAllTextAsync(Path.Combine(UnitFolder, "backfill.timer"), Ct);
        Assert.Contains("OnCalendar=Mon..Fri 17:30 America/New_York", timer, StringComparison.Ordinal);
        Assert.Contains("Persistent=true", timer, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> DeployedCommands()
    {
        var data = new TheoryData<string, string>();
        foreach (var unit in Directory.GetFiles(UnitFolder, "*.service").Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadAllLines(unit).Where(l => l.StartsWith("ExecStart=", StringComparison.Ordinal)))
            {
                data.Add(Path.GetFileName(unit), line["ExecStart=".Length..]);
            }
        }

        foreach (var line in CrontabLines())
        {
            var fields = CrontabEntry().Match(line);
            Assert.True(fields.Success, $"docs/deployment.md: `{line}` is not a crontab entry (five time fields, then a command)");
            // `cd FOLDER` first is allowed (cron starts in the home folder); every other step must run backfill.
            foreach (var command in fields.Groups["command"].Value.Split("&&", StringSplitOptions.TrimEntries).Where(c => !c.StartsWith("cd ", StringComparison.Ordinal)))
            {
                data.Add("docs/deployment.md crontab", command);
            }
        }

        return data;
    }

    [Fact]
    public void The_deployment_runs_process_gaps_verify_and_serve_and_the_docs_show_a_crontab_for_them()
    {
        var commands = DeployedCommands().Select(row => row.Data.Item2).ToList();
        Assert.Contains($"{InstalledBinary} process-gaps", commands);
        Assert.Contains($"{InstalledBinary} verify", commands);
        Assert.Contains(commands, c => c.StartsWith($"{InstalledBinary} serve ", StringComparison.Ordinal));
        Assert.Contains(CrontabLines(), l => l.Contains("process-gaps", StringComparison.Ordinal) && l.Contains(" verify", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(DeployedCommands))]
    public void A_deployed_command_line_parses(string file, string command)
    {
        var words = DocsCommandsTests.DocCommands.Split(command);
        Assert.True(words.Length > 0 && (words[0] == "backfill" || words[0].EndsWith("/backfill", StringComparison.Ordinal)),
            $"{file}: `{command}` does not run backfill");
        var environment = new CliEnvironment(TextWriter.Null, TextWriter.Null, TextReader.Null, new Dictionary<string, string>(), TimeProvider.System, IsTerminal: false, InputIsInteractive: false);
        var parse = CliApp.Build(environment).Parse(words[1..]);
        Assert.True(parse.Errors.Count == 0, $"{file}: `{command}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
    }

    /// <summary>The entries of the <c>```crontab</c> blocks of docs/deployment.md (comments and variables left out).</summary>
    private static List<string> CrontabLines()
    {
        var lines = new List<string>();
        var inBlock = false;
        foreach (var raw in File.ReadAllLines(Path.Combine(Root, "docs", "deployment.md")))
        {
            var text = raw.Trim();
            if (text.StartsWith("```", StringComparison.Ordinal))
            {
                inBlock = !inBlock && text == "```crontab";
                continue;
            }

            if (inBlock && text.Length > 0 && !text.StartsWith('#') && !CrontabVariable().IsMatch(text))
            {
                lines.Add(text);
            }
        }

        return lines;
    }

    [GeneratedRegex(@"^(?:[0-9*,/-]+\s+){2}[0-9*,/-]+\s+[0-9*,/-]+\s+[0-9A-Za-z*,/-]+\s+(?<command>.+)$")]
    private static partial Regex CrontabEntry();

    [GeneratedRegex(@"^[A-Z_][A-Z0-9_]*=")]
    private static partial Regex CrontabVariable();
}
