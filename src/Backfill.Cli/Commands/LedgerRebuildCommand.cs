using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets;
using Backfill.Engine.Processing;
using Backfill.Engine.Rebuild;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>ledger rebuild [--dataset NAME] [--dry-run]</c>: after the ledger was lost, records every published output that
/// proves itself (date, rows, content checksum, read row by row) as done, so <c>verify</c> is clean and <c>gaps</c> and
/// <c>process-gaps</c> do not download again what is already there.
/// </summary>
internal static class LedgerRebuildCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Read and check every output, record nothing." };
        var command = new Command("rebuild",
            "Recreate the ledger's done dates from the published outputs (each read back and checked row by row); without --dataset, every dataset. " +
            "The output folder (and ohlcv's key store) come from --set, the environment or the ledger's surviving settings. Exit 1 when an output was rejected.")
        {
            dryRun,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var chosen = parse.GetResult(GlobalOptions.Dataset) is { Implicit: false } ? context.Choice : null;
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);

            // A family (options) is rebuilt for the members its settings list (options.roots, e.g. from --set).
            var host = context.Host(ledger);
            var rebuilder = new LedgerRebuilder(ledger, "rebuild:" + WorkerIdentity.Current);
            var table = new ResultTable($"Ledger rebuild{(parse.GetValue(dryRun) ? " (dry run)" : "")} from {settings.OutputDirectory}",
                "dataset", "date", "status", "rows", "path", "message");
            var failed = false;
            foreach (var dataset in chosen is null ? environment.Datasets.Expand(settings) : chosen.Select(settings, null))
            {
                var store = EnginePaths.OutputStore(settings, dataset.Name);
                Engine.Verification.IOutputChecker checker;
                try
                {
                    checker = dataset.CreateChecker(host, settings);
                }
                catch (InvalidInputException e) when (chosen is null)
                {
                    // Every dataset was asked for: one that cannot read its outputs here is reported, unless it has none.
                    if (await HasOutputsAsync(dataset, store, ct))
                    {
                        failed = true;
                        table.Notes.Add($"{dataset.Name}: not rebuilt: {e.Message}");
                    }

                    continue;
                }

                var items = await rebuilder.RebuildAsync(dataset, store, checker, parse.GetValue(dryRun), null, ct);
                foreach (var item in items)
                {
                    table.Add(item.Dataset, item.Date, LedgerRebuilder.RebuildStatusName(item.Status), item.Rows, item.Location, item.Message);
                }

                failed |= items.Any(i => i.Status is RebuildStatus.Rejected or RebuildStatus.Busy);
                if (items.Count > 0 || chosen is not null)
                {
                    table.Notes.Add($"{dataset.Name}: {items.Count} output(s) found in {store.Root}: {Count(items, RebuildStatus.Registered)} registered, " +
                        $"{Count(items, RebuildStatus.AlreadyRecorded)} already recorded, {Count(items, RebuildStatus.Rejected)} rejected (left as gaps), " +
                        $"{Count(items, RebuildStatus.Busy)} busy.");
                }
            }

            if (!parse.GetValue(dryRun))
            {
                foreach (var stored in await RememberFlagsAsync(ledger, settings, ct))
                {
                    table.Notes.Add($"Stored {stored} in the ledger (given with --set and not stored yet), so later commands find the outputs without it.");
                }
            }

            if (table.Rows.Count == 0 && table.Notes.Count == 0)
            {
                table.Notes.Add($"No output of any dataset was found under {settings.OutputDirectory}. Is processing.outputDirectory right? Set it with --set processing.outputDirectory=DIR.");
            }

            context.Render(table);
            return failed ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// A lost ledger lost its settings too: what the rebuild was told with <c>--set</c> (where the outputs are, the key
    /// file) is stored, unless the ledger already holds a value. Secrets and database URLs are never stored this way.
    /// </summary>
    private static async Task<IReadOnlyList<string>> RememberFlagsAsync(Backfill.Ledger.ILedger ledger, Engine.Configuration.EffectiveSettings settings, CancellationToken cancellationToken)
    {
        var stored = new List<string>();
        foreach (var setting in settings.All.Where(s => s.Source == Engine.Configuration.SettingSource.Flag && !s.Definition.Bootstrap && s.Value is not null
                     && s.Definition.Kind is not (Engine.Configuration.SettingKind.Secret or Engine.Configuration.SettingKind.DatabaseUrl or Engine.Configuration.SettingKind.SecretUrl)))
        {
            if (await ledger.GetConfigAsync(Engine.Configuration.SettingsResolver.GlobalScope, setting.Key, cancellationToken) is null)
            {
                var value = Engine.Configuration.SettingValidator.Validate(setting.Definition, setting.Value);
                if (setting.Definition.Kind is Engine.Configuration.SettingKind.WritableDirectory or Engine.Configuration.SettingKind.FilePath)
                {
                    value = Path.GetFullPath(value);
                }

                await ledger.SetConfigAsync(Engine.Configuration.SettingsResolver.GlobalScope, setting.Key, value, "ledger rebuild", cancellationToken);
                stored.Add($"{setting.Key}={value}");
            }
        }

        return stored;
    }

    private static int Count(IReadOnlyList<RebuildItem> items, RebuildStatus status) => items.Count(i => i.Status == status);

    private static async Task<bool> HasOutputsAsync(IDataset dataset, Storage.Outputs.IOutputStore store, CancellationToken cancellationToken)
    {
        await foreach (var _ in dataset.Layout.ListAsync(store, cancellationToken))
        {
            return true;
        }

        return false;
    }
}
