using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;

namespace Backfill.Cli.Commands;

/// <summary><c>config set|get|validate|reset|history</c>: settings stored, versioned, in the ledger.</summary>
internal static class ConfigCommands
{
    public static Command Build(CliEnvironment environment)
    {
        var config = new Command("config", "Show, change, check and reset settings (stored and versioned in the ledger).");
        config.Subcommands.Add(BuildSet(environment));
        config.Subcommands.Add(BuildGet(environment));
        config.Subcommands.Add(BuildValidate(environment));
        config.Subcommands.Add(BuildReset(environment));
        config.Subcommands.Add(BuildHistory(environment));
        return config;
    }

    private static Command BuildSet(CliEnvironment environment)
    {
        var key = new Argument<string>("key") { Description = "Setting key, e.g. thetadata.baseUrl." };
        var value = new Argument<string>("value") { Description = "New value." };
        var command = new Command("set", "Validate and store a setting (the previous value is kept in the history).") { key, value };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var definition = environment.Datasets.Settings.Get(parse.GetValue(key)!);
            if (definition.Bootstrap)
            {
                throw new InvalidInputException(
                    $"{definition.Key} chooses the ledger itself, so it cannot be stored in it. Pass --db PATH or set {definition.EnvironmentVariable}.");
            }

            if (definition.Kind == SettingKind.SecretUrl)
            {
                throw new InvalidInputException(
                    $"{definition.Key} carries a credential in its URL, so it is never stored in the ledger. Set {definition.EnvironmentVariable} in the environment of the commands that send alerts (a systemd unit's EnvironmentFile, mode 0600).");
            }

            var secret = definition.Kind == SettingKind.Secret;
            var text = parse.GetValue(value);
            if (secret && text == "-")
            {
                text = await environment.In.ReadLineAsync(ct)
                    ?? throw new InvalidInputException($"{definition.Key}: nothing on stdin. Example: printf '%s' \"$KEY\" | backfill config set {definition.Key} -");
            }

            else if (secret)
            {
                context.Warn($"{definition.Key} was given on the command line, where shell history and the process list can show it. Prefer: backfill config set {definition.Key} -   (reads stdin)");
            }

            var normalised = SettingValidator.Validate(definition, text);
            await using var ledger = await context.OpenLedgerAsync(ct);
            if (secret && !SecretSetting.IsProtected(normalised))
            {
                // A secret is stored encrypted with the key store of the dataset that declares it.
                var keeper = environment.Datasets.OwnerOf(definition.Key) as IEncryptedOutputs
                    ?? throw new InvalidOperationException($"{definition.Key} is a secret but its dataset keeps no keys to store it with.");
                normalised = SecretSetting.Protect(normalised, keeper.LoadKeys(context.Host(ledger), await context.LoadSettingsAsync(ledger, ct)));
            }

            var previous = await ledger.GetConfigAsync(SettingsResolver.GlobalScope, definition.Key, ct);
            await ledger.SetConfigAsync(SettingsResolver.GlobalScope, definition.Key, normalised, ChangedBy(), ct);
            context.Say(previous is null
                ? $"{definition.Key} = {Shown(definition, normalised)}"
                : $"{definition.Key} = {Shown(definition, normalised)} (was {Shown(definition, previous.Value)})");
            if (environment.Variables.ContainsKey(definition.EnvironmentVariable))
            {
                context.Warn($"{definition.EnvironmentVariable} is set in the environment and takes precedence over the stored value.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildGet(CliEnvironment environment)
    {
        var key = new Argument<string?>("key") { Description = "One key (all keys when omitted).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("get", "Show effective settings and where each value comes from.") { key };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var only = parse.GetValue(key) is { } k ? environment.Datasets.Settings.Get(k).Key : null;
            await using var ledger = await context.OpenLedgerAsync(ct);
            var all = await context.Resolver.ResolveAllAsync(ledger, ct);
            var mine = OfDataset(context);
            var table = new ResultTable("Settings", "key", "value", "source", "problem", "description");
            foreach (var s in all.Where(s => only is null ? mine.Contains(s.Key) : s.Key == only))
            {
                table.Add(s.Key, Shown(s.Shown), s.Source.ToString().ToLowerInvariant(), s.Problem, s.Definition.Description);
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildValidate(CliEnvironment environment)
    {
        var command = new Command("validate", "Check every effective setting (flags, environment, stored, defaults). Exit 2 when any is invalid.");
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            await using var ledger = await context.OpenLedgerAsync(ct);
            var all = await context.Resolver.ResolveAllAsync(ledger, ct);
            var mine = OfDataset(context);
            var table = new ResultTable("Validation", "key", "value", "source", "status", "message");
            var bad = 0;
            foreach (var s in all.Where(s => mine.Contains(s.Key)))
            {
                var (status, message) = s.Problem is not null ? ("invalid", s.Problem)
                    : s.Value is null && s.Definition.Optional ? ("ok", "not set (optional)")
                    : s.Value is null ? ("missing", $"not set; required before processing. Run: backfill config set {s.Key} {s.Definition.Example}")
                    : ("ok", string.Empty);
                bad += status == "ok" ? 0 : 1;
                table.Add(s.Key, Shown(s.Shown), s.Source.ToString().ToLowerInvariant(), status, message);
            }

            // What the dataset itself needs beyond valid values (a required list left unset).
            foreach (var problem in context.Choice.CheckSettings(new EffectiveSettings(all)))
            {
                table.Add(context.Choice.Name, null, null, "missing", problem);
                bad++;
            }

            table.Notes.Add(bad == 0 ? "All settings are valid." : $"{bad} setting(s) need attention.");
            context.Render(table);
            return bad == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
        });
        return command;
    }

    private static Command BuildReset(CliEnvironment environment)
    {
        var key = new Argument<string?>("key") { Description = "One key (every stored key when omitted).", Arity = ArgumentArity.ZeroOrOne };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation." };
        var command = new Command("reset", "Remove stored values so defaults apply again (the history keeps them).") { key, yes };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var only = parse.GetValue(key) is { } k ? environment.Datasets.Settings.Get(k).Key : null;
            await using var ledger = await context.OpenLedgerAsync(ct);
            var stored = (await ledger.ListConfigAsync(SettingsResolver.GlobalScope, ct)).Where(e => only is null || e.Key == only).ToList();
            if (stored.Count == 0)
            {
                context.Say(only is null ? "Nothing is stored; defaults already apply." : $"{only} is not stored; its default already applies.");
                return ExitCodes.Ok;
            }

            if (!parse.GetValue(yes))
            {
                if (!environment.InputIsInteractive)
                {
                    throw new InvalidInputException(
                        $"Resetting {stored.Count} stored setting(s) needs confirmation. Run again with --yes to confirm without a prompt.");
                }

                await environment.Out.WriteAsync($"Reset {string.Join(", ", stored.Select(s => s.Key))} to defaults? [y/N] ");
                var answer = (await environment.In.ReadLineAsync(ct))?.Trim();
                if (!string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) && !string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase))
                {
                    context.Say("Nothing changed.");
                    return ExitCodes.Ok;
                }
            }

            foreach (var entry in stored)
            {
                await ledger.SetConfigAsync(SettingsResolver.GlobalScope, entry.Key, null, ChangedBy(), ct);
            }

            context.Say($"Reset {stored.Count} setting(s). 'backfill config history' shows the previous values.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildHistory(CliEnvironment environment)
    {
        var key = new Argument<string?>("key") { Description = "One key (all keys when omitted).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("history", "Show every change of the stored settings: who, when, old and new value.") { key };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var only = parse.GetValue(key) is { } k ? environment.Datasets.Settings.Get(k).Key : null;
            await using var ledger = await context.OpenLedgerAsync(ct);
            var table = new ResultTable("Configuration history", "key", "version", "old_value", "new_value", "changed_at", "changed_by");
            foreach (var change in await ledger.GetConfigHistoryAsync(SettingsResolver.GlobalScope, only, ct))
            {
                var definition = environment.Datasets.Settings.All.FirstOrDefault(d => d.Key == change.Key);
                table.Add(change.Key, change.Version, Shown(definition, change.OldValue), Shown(definition, change.NewValue), change.ChangedAt, change.ChangedBy);
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The keys the chosen dataset (or family) reads: the shared ones and its own.</summary>
    private static HashSet<string> OfDataset(CommandContext context) =>
        Settings.General.Concat(context.Choice.Settings).Select(d => d.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>A value from flags or the environment as shown: it may be invalid, hold credentials or control characters.</summary>
    private static string? Shown(string? value) => value is null ? null : DateInput.Printable(value, 4096);

    private static string? Shown(SettingDefinition? definition, string? value) =>
        value is not null && definition is not null && definition.Kind is SettingKind.Secret or SettingKind.DatabaseUrl or SettingKind.SecretUrl
            ? new ResolvedSetting(definition, value, SettingSource.Stored, null).Shown
            : Shown(value);

    private static string ChangedBy() => $"{Environment.UserName}@{Environment.MachineName}";
}
