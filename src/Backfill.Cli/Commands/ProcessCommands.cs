using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Gaps;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Engine.Datasets;

namespace Backfill.Cli.Commands;

/// <summary><c>process</c>, <c>process-range</c>, <c>process-gaps</c>, <c>retry</c> and <c>stop</c>.</summary>
internal static class ProcessCommands
{
    public static IEnumerable<Command> Build(CliEnvironment environment) =>
        [BuildProcess(environment), BuildRange(environment), BuildGaps(environment), BuildRetry(environment), BuildStop(environment)];

    private static Option<int?> MaxDte() => new("--max-dte") { Description = "Only expirations at most N calendar days after the date (overrides processing.maxDte)." };

    /// <summary>The setting --max-dte stands for; datasets that do not read it ignore it.</summary>
    private const string MaxDteSetting = "processing.maxDte";

    /// <summary>--max-dte N is <c>--set processing.maxDte=N</c> for this command (the option greeks datasets read it).</summary>
    private static void ApplyMaxDte(CommandContext context, ParseResult parse, Option<int?> maxDte)
    {
        if (parse.GetValue(maxDte) is { } n)
        {
            context.Override(MaxDteSetting, n < 0
                ? throw new InvalidInputException($"--max-dte: {n} must be 0 (all) or more.")
                : n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static ProcessingOptions AsConfigured(ProcessingOptions options) => options;

    private static Command BuildProcess(CliEnvironment environment)
    {
        var date = new Argument<string>("date") { Description = "Trading date, YYYY-MM-DD." };
        var maxDte = MaxDte();
        var roots = new RootOption();
        var command = new Command("process", "Download, check and store one trading date (with --dataset options: for each root).") { date, maxDte };
        roots.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            ApplyMaxDte(context, parse, maxDte);
            var day = DateInput.ParseDate(parse.GetValue(date), "date", context.Today);
            var adjust = AsConfigured;
            await using var ledger = await context.OpenLedgerAsync(ct);
            var (settings, _) = await ProcessingRun.PrepareAsync(context, ledger, [day], ct);
            return await ProcessingRun.RunAsync(context, ledger, settings, [.. roots.Select(context, settings).Select(d => (d, (IReadOnlyList<DateOnly>)[day]))], adjust, ct);
        });
        return command;
    }

    private static Command BuildRange(CliEnvironment environment)
    {
        var from = new Argument<string>("from") { Description = "First date, YYYY-MM-DD." };
        var to = new Argument<string>("to") { Description = "Last date, YYYY-MM-DD (inclusive)." };
        var maxDte = MaxDte();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan with estimates (and the vendor's cost where the dataset can ask for it); change nothing." };
        var roots = new RootOption();
        var command = new Command("process-range", "Process every trading session between two dates (done dates are skipped).") { from, to, maxDte, dryRun };
        roots.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            ApplyMaxDte(context, parse, maxDte);
            var start = DateInput.ParseDate(parse.GetValue(from), "from", context.Today);
            var end = DateInput.ParseDate(parse.GetValue(to), "to", context.Today);
            DateInput.EnsureOrdered(start, end);
            var calendar = context.Choice.Calendar;
            await using var ledger = await context.OpenLedgerAsync(ct);
            var latest = GapAnalyzer.LatestCompleteSession(calendar, environment.Time.GetUtcNow());
            if (start < calendar.FirstDate || end > calendar.LastDate)
            {
                throw new InvalidInputException($"The {calendar.Name} calendar covers {calendar.FirstDate:yyyy-MM-dd} .. {calendar.LastDate:yyyy-MM-dd}; the range {start:yyyy-MM-dd} .. {end:yyyy-MM-dd} is outside it.");
            }

            var sessions = calendar.SessionsBetween(start, end < latest ? end : latest);
            if (sessions.Count == 0)
            {
                throw new InvalidInputException($"No complete {calendar.Name} session between {start:yyyy-MM-dd} and {end:yyyy-MM-dd}.");
            }

            if (parse.GetValue(dryRun))
            {
                var loaded = await context.LoadSettingsAsync(ledger, ct);
                var plans = new List<(IDataset, IReadOnlyList<Gap>)>();
                foreach (var dataset in roots.Select(context, loaded))
                {
                    var plan = await GapsCommand.AnalyzeAsync(context, ledger, dataset, loaded, (start, end), ct);
                    plans.Add((dataset, [.. plan.Gaps.Where(g => g.Category is not (GapCategory.FailedPermanent or GapCategory.Pruned)).OrderBy(g => g.Date)]));
                }

                await RenderPlanAsync(context, ledger, plans, ct);
                return ExitCodes.Ok;
            }

            var (settings, _) = await ProcessingRun.PrepareAsync(context, ledger, sessions, ct);
            var datasets = roots.Select(context, settings);
            if (end > latest)
            {
                context.Warn($"Sessions after {latest:yyyy-MM-dd} have no complete data yet and are left out.");
            }

            return await ProcessingRun.RunAsync(context, ledger, settings, [.. datasets.Select(d => (d, sessions))], AsConfigured, ct);
        });
        return command;
    }

    private static Command BuildGaps(CliEnvironment environment)
    {
        var batch = new Option<int?>("--batch-size") { Description = "Process at most N gaps this run (highest priority first)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan with estimates of requests, rows, disk and time; change nothing." };
        var maxDte = MaxDte();
        var range = new RangeOptions();
        var roots = new RootOption();
        var command = new Command("process-gaps", "Fill the gaps (see 'backfill gaps'), highest priority first. Permanent failures are left for 'retry --force'.") { batch, dryRun, maxDte };
        range.AddTo(command);
        roots.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            ApplyMaxDte(context, parse, maxDte);
            if (parse.GetValue(batch) is < 1)
            {
                throw new InvalidInputException("--batch-size must be 1 or more.");
            }

            await using var ledger = await context.OpenLedgerAsync(ct);
            var requested = range.Read(context);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var plans = new List<(IDataset Dataset, IReadOnlyList<Gap> Todo)>();
            var permanent = 0;
            foreach (var dataset in roots.Select(context, settings))
            {
                var report = await GapsCommand.AnalyzeAsync(context, ledger, dataset, settings, requested, ct);
                plans.Add((dataset, [.. report.Gaps.Where(g => g.Category is not (GapCategory.FailedPermanent or GapCategory.Pruned)).Take(parse.GetValue(batch) ?? int.MaxValue)]));
                permanent += report.Count(GapCategory.FailedPermanent);
            }

            if (permanent > 0)
            {
                context.Warn($"{permanent} date(s) failed permanently or reached the retry limit and are skipped; see 'backfill gaps' and use 'backfill retry DATE --force'.");
            }

            if (parse.GetValue(dryRun))
            {
                await RenderPlanAsync(context, ledger, plans, ct);
                return ExitCodes.Ok;
            }

            if (plans.All(p => p.Todo.Count == 0))
            {
                context.Say("No gaps to fill.");
                return ExitCodes.Ok;
            }

            foreach (var (dataset, todo) in plans)
            {
                foreach (var gap in todo.Where(g => g.Category == GapCategory.MissingOutput))
                {
                    // The ledger says done but the file is gone: forget the output so that the date is downloaded again.
                    await ledger.ResetUnitAsync(dataset.Name, gap.Date, ct);
                }
            }

            return await ProcessingRun.RunAsync(context, ledger, settings, [.. plans.Select(p => (p.Dataset, (IReadOnlyList<DateOnly>)[.. p.Todo.Select(g => g.Date)]))], AsConfigured, ct);
        });
        return command;
    }

    /// <summary>The dry-run table: each dataset's dates with its estimates (a family's members in a <c>dataset</c> column).</summary>
    private static async Task RenderPlanAsync(CommandContext context, Backfill.Ledger.ILedger ledger, IReadOnlyList<(IDataset Dataset, IReadOnlyList<Gap> Todo)> plans, CancellationToken ct)
    {
        var settings = await context.LoadSettingsAsync(ledger, ct);
        var family = context.Choice.IsFamily;
        var cost = plans.Any(p => p.Dataset is IDryRunPlanner);
        string[] columns = ["date", "category", "priority", "est_requests", "est_rows", "est_bytes", "est_seconds", .. cost ? ["est_cost_usd"] : Array.Empty<string>()];
        var table = ResultTable.PerDataset("Plan (dry run)", family, columns);
        foreach (var (dataset, todo) in plans)
        {
            var plan = await DryRunEstimator.PlanAsync(dataset, context.Host(ledger), settings, [.. todo.Select(g => g.Date)], ct);
            var byDate = plan.Dates.ToDictionary(d => d.Date);
            foreach (var gap in todo)
            {
                var d = byDate[gap.Date];
                object?[] values = [d.Date, GapsCommand.Name(gap.Category), gap.Priority, d.Requests, d.Rows, d.Bytes, d.Seconds];
                values = cost ? [.. values, d.CostUsd] : values;
                table.AddFor(dataset.Name, values);
            }

            foreach (var note in plan.Notes)
            {
                table.NoteFor(dataset.Name, note);
            }

            if (plan.Warning is not null)
            {
                context.Warn(plan.Warning);
            }
        }

        context.Render(table);
    }

    private static Command BuildRetry(CliEnvironment environment)
    {
        var date = new Argument<string?>("date") { Description = "The date to retry.", Arity = ArgumentArity.ZeroOrOne };
        var allFailed = new Option<bool>("--all-failed") { Description = "Retry every failed or interrupted date." };
        var since = new Option<string?>("--since") { Description = "With --all-failed: only dates on or after this one." };
        var lastN = new Option<int?>("--last-n") { Description = "Retry the N most recent failed dates." };
        var force = new Option<bool>("--force") { Description = "Ignore the retry limit, and redo a date that already succeeded." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask before redoing a successful date." };
        var maxDte = MaxDte();
        var roots = new RootOption();
        var command = new Command("retry", "Retry failed dates: cleans partial artefacts first, shows the original error and the outcome.")
        {
            date, allFailed, since, lastN, force, yes, maxDte,
        };
        roots.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            ApplyMaxDte(context, parse, maxDte);
            var family = context.Choice.IsFamily;
            var chosen = new[] { parse.GetValue(date) is not null, parse.GetValue(allFailed), parse.GetValue(lastN) is not null }.Count(b => b);
            if (chosen != 1)
            {
                throw new InvalidInputException("retry needs exactly one of: a DATE, --all-failed, or --last-n N.");
            }

            if (parse.GetValue(lastN) is < 1)
            {
                throw new InvalidInputException("--last-n must be 1 or more.");
            }

            await using var ledger = await context.OpenLedgerAsync(ct);
            var datasets = await roots.SelectAsync(context, ledger, ct);
            var work = new List<(IDataset Dataset, List<UnitRecord> Targets)>();
            foreach (var dataset in datasets)
            {
                await ledger.RecoverExpiredAsync(dataset.Name, ct);
                var units = await ledger.ListUnitsAsync(dataset.Name, null, null, null, ct);
                work.Add((dataset, Targets(context, parse, units, date, lastN, since)));
            }

            if (parse.GetValue(date) is { } text && work.All(w => w.Targets.Count == 0))
            {
                var day = DateInput.ParseDate(text, "date", context.Today);
                throw new InvalidInputException($"{day:yyyy-MM-dd} was never attempted, so there is nothing to retry. Run: {DatasetRegistry.Command(context.Choice.Name, "process")} {day:yyyy-MM-dd}");
            }

            var forced = parse.GetValue(force);
            var all = work.SelectMany(w => w.Targets).ToList();
            if (all.Count == 0)
            {
                context.Say("Nothing to retry.");
                return ExitCodes.Ok;
            }

            if (all.Any(t => t.Status == UnitStatus.Success))
            {
                if (!forced)
                {
                    throw new InvalidInputException($"{all.First(t => t.Status == UnitStatus.Success).TradeDate:yyyy-MM-dd} already succeeded. To download it again, add --force.");
                }

                await ConfirmAsync(context, parse.GetValue(yes), $"Redo {string.Join(", ", all.Where(t => t.Status == UnitStatus.Success).Select(t => Named(t, family)))}, replacing the verified file(s)?", ct);
            }

            var (settings, _) = await ProcessingRun.PrepareAsync(context, ledger, all.Select(t => t.TradeDate), ct);
            var limited = all.Where(t => t.AttemptCount >= settings.RetryLimit && t.Status == UnitStatus.Failed).ToList();
            if (limited.Count > 0 && !forced)
            {
                throw new InvalidInputException(
                    $"{string.Join(", ", limited.Select(t => Named(t, family)))} reached the retry limit ({settings.RetryLimit} attempts). Add --force to try anyway.");
            }

            foreach (var t in all)
            {
                var removed = EnginePaths.DeletePartialStaging(settings.TempDirectory, t.Dataset, t.TradeDate);
                context.Say($"{Named(t, family)}: was {t.Status.ToDb()} after {t.AttemptCount} attempt(s)" +
                            (t.LastErrorType is null ? string.Empty : $", last error {t.LastErrorType}: {t.LastErrorMessage}") +
                            (removed > 0 ? $"; removed {removed} partial staging file(s)" : string.Empty));
            }

            var adjust = AsConfigured;
            return await ProcessingRun.RunAsync(context, ledger, settings,
                [.. work.Where(w => w.Targets.Count > 0).Select(w => (w.Dataset, (IReadOnlyList<DateOnly>)[.. w.Targets.Select(t => t.TradeDate).Order()]))],
                o => adjust(o) with { AllowSuccessful = forced, IgnoreRetryLimit = forced }, ct);
        });
        return command;
    }

    /// <summary>The units of one dataset that <c>retry</c> takes: the date asked for, the last N failed, or every failed one.</summary>
    private static List<UnitRecord> Targets(
        CommandContext context, ParseResult parse, IReadOnlyList<UnitRecord> units, Argument<string?> date, Option<int?> lastN, Option<string?> since)
    {
        if (parse.GetValue(date) is { } text)
        {
            var day = DateInput.ParseDate(text, "date", context.Today);
            return units.FirstOrDefault(u => u.TradeDate == day) is { } unit ? [unit] : [];
        }

        if (parse.GetValue(lastN) is { } n)
        {
            return [.. units.Where(u => u.Status is UnitStatus.Failed or UnitStatus.Interrupted && !Backfill.Engine.Cleanup.Retention.IsPruned(u)).OrderByDescending(u => u.TradeDate).Take(n)];
        }

        DateOnly? from = parse.GetValue(since) is { } s ? DateInput.ParseDate(s, "--since", context.Today) : null;
        return [.. units.Where(u => u.Status is UnitStatus.Failed or UnitStatus.Interrupted && !Backfill.Engine.Cleanup.Retention.IsPruned(u) && (from is null || u.TradeDate >= from))];
    }

    /// <summary>A unit's date, with its dataset when a family's members are retried together.</summary>
    private static string Named(UnitRecord unit, bool family) =>
        family ? $"{unit.Dataset} {unit.TradeDate:yyyy-MM-dd}" : unit.TradeDate.ToString("yyyy-MM-dd", null);

    private static async Task ConfirmAsync(CommandContext context, bool yes, string question, CancellationToken ct)
    {
        if (yes)
        {
            return;
        }

        if (!context.Environment.InputIsInteractive)
        {
            throw new InvalidInputException("This needs confirmation. Run again with --yes to confirm without a prompt.");
        }

        await context.Out.WriteAsync(question + " [y/N] ");
        var answer = (await context.Environment.In.ReadLineAsync(ct))?.Trim();
        if (!string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) && !string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidInputException("Not confirmed; nothing changed.");
        }
    }

    private static Command BuildStop(CliEnvironment environment)
    {
        var command = new Command("stop", "Ask running backfill processes (same temp directory) to finish the expirations in flight and exit cleanly.");
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var file = StopSignal.Request(settings.TempDirectory);
            var running = 0;
            // A family with no roots listed has nothing in processing (and the stop is already requested).
            var choice = context.Choice;
            foreach (var dataset in choice.IsFamily && choice.Family!.MemberKeys(settings).Count == 0 ? [] : choice.Select(settings, null))
            {
                running += (await ledger.ListUnitsAsync(dataset.Name, null, null, UnitStatus.Processing, ct)).Count;
            }

            context.Say($"Stop requested ({file}). {running} date(s) in processing will finish their current expirations and stop within seconds.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
