using System.CommandLine;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>--root R</c> (repeatable, or a comma list) for commands that work on every member of a family (<c>--dataset
/// options</c>: one dataset per option root): narrows them to the roots given; without it, every root the settings list.
/// </summary>
internal sealed class RootOption
{
    public Option<string[]> Root { get; } = new("--root")
    {
        Description = "With --dataset options: only these option roots (repeatable or comma-separated, e.g. --root SPY,QQQ); default every root in options.roots.",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command) => command.Options.Add(Root);

    /// <summary>The datasets the command works on: the one chosen, or the family's members narrowed by <c>--root</c>.</summary>
    public IReadOnlyList<IDataset> Select(CommandContext context, EffectiveSettings settings) =>
        context.Choice.Select(settings, context.Parse.GetValue(Root));

    /// <summary>As <see cref="Select"/>, for a command that reads no settings otherwise: they are loaded only for a family.</summary>
    public async Task<IReadOnlyList<IDataset>> SelectAsync(CommandContext context, Backfill.Ledger.ILedger ledger, CancellationToken ct) =>
        context.Choice.IsFamily
            ? Select(context, await context.LoadSettingsAsync(ledger, ct))
            : context.Choice.Select(null, context.Parse.GetValue(Root));
}
