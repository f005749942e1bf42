using System.CommandLine;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Datasets;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>demo</c>: a dataset end to end without any vendor account. The dataset starts its embedded simulator on a free
/// loopback port; the demo stores the settings in a ledger of its own in a new folder under the temporary folder, runs
/// the dataset's steps (ordinary backfill commands), and prints where the outputs are and how to query them. The folder
/// is kept (and its removal command printed) unless <c>--clean</c> asks to remove it, in which case the query and ledger
/// commands, which would name a removed folder, are not printed.
/// </summary>
internal static class DemoCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the data folder (the outputs and the ledger): the default, accepted for scripts that pass it." };
        var clean = new Option<bool>("--clean") { Description = "Remove the data folder at the end (the outputs and the ledger are gone, so no query is printed)." };
        var date = new Option<string?>("--date") { Description = "Trading date to process (spx and crypto-book; default 2024-06-12)." };
        var scale = new Option<double>("--scale") { Description = "Size of the simulated day: 1 = real size, 0.05 = quick.", DefaultValueFactory = _ => 1.0 };
        var maxDte = new Option<int>("--max-dte") { Description = "Only expirations up to N days out (0 = all).", DefaultValueFactory = _ => 0 };
        var demos = string.Join("; ", environment.Datasets.All.Where(d => d.Demo is not null).Select(d => $"--dataset {d.Name}: {d.Demo!.Summary}")
            .Concat(environment.Datasets.Families.Where(f => f.Demo is not null).Select(f => $"--dataset {f.Name}: {f.Demo!.Summary}")));
        var command = new Command("demo", $"Run a dataset end to end in a new temporary folder, kept unless --clean, against its embedded simulator ({demos}).") { keep, clean, date, scale, maxDte };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var dataset = context.Choice;
            var demo = dataset.Demo ?? throw new InvalidInputException(
                $"The {dataset.Name} dataset has no demo. Datasets with one: {string.Join(", ", environment.Datasets.All.Where(d => d.Demo is not null).Select(d => d.Name).Concat(environment.Datasets.Families.Where(f => f.Demo is not null).Select(f => f.Name)))}.");
            var day = parse.GetValue(date) is { } text ? DateInput.ParseDate(text, "--date", context.Today).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null;
            var size = parse.GetValue(scale);
            if (size is <= 0 or > 1 || double.IsNaN(size))
            {
                throw new InvalidInputException($"--scale: {size.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most 1.");
            }

            if (parse.GetValue(keep) && parse.GetValue(clean))
            {
                throw new InvalidInputException("--keep and --clean contradict each other: the folder is kept by default; give --clean alone to remove it.");
            }

            return await RunAsync(context, demo, new DemoRequest(string.Empty, day, size, parse.GetValue(maxDte), environment.Time), parse.GetValue(clean), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(CommandContext context, IDatasetDemo demo, DemoRequest request, bool clean, CancellationToken ct)
    {
        var name = context.Choice.Name;
        var folder = DemoFolder.Create(name);
        var db = Path.Combine(folder, "backfill.db");
        var exit = ExitCodes.Failed;
        var removed = DemoSession.DefaultRemovedNote;
        try
        {
            await using var session = await demo.StartAsync(request with { Folder = folder }, ct);
            removed = session.RemovedNote;
            foreach (var line in session.Intro)
            {
                context.Say(line);
            }

            context.Say($"Data folder: {folder}");
            var variables = new Dictionary<string, string>(context.Environment.Variables, StringComparer.Ordinal);
            foreach (var (key, value) in session.Environment ?? new Dictionary<string, string>())
            {
                variables[key] = value;
            }

            var inner = context.Environment with { Variables = variables };
            string[] common = ["--dataset", name, "--db", db, "--format", context.Format.ToString().ToLowerInvariant(), .. context.Verbose ? ["--verbose"] : Array.Empty<string>()];

            // The settings are stored in the demo's ledger, so the commands printed at the end work as they are.
            var quiet = inner with { Out = TextWriter.Null };
            foreach (var setting in session.Settings)
            {
                var eq = setting.IndexOf('=', StringComparison.Ordinal);
                exit = await CliApp.RunAsync(["config", "set", setting[..eq], setting[(eq + 1)..], .. common], quiet, ct);
                if (exit != ExitCodes.Ok)
                {
                    return exit;
                }
            }

            foreach (var step in session.Steps)
            {
                exit = await CliApp.RunAsync([.. step, .. common], inner, ct);
                if (exit != ExitCodes.Ok)
                {
                    return exit;
                }
            }

            // The closing lines name files in the folder and commands on its ledger: only worth printing when it stays.
            foreach (var line in clean ? [] : session.Closing(db))
            {
                context.Say(line);
            }

            return exit;
        }
        finally
        {
            DemoFolder.Finish(context, folder, clean, removed);
        }
    }
}
