using System.CommandLine;

namespace Backfill.Cli.Commands;

/// <summary>The --from/--to/--last trio shared by commands that look at a span of dates.</summary>
internal sealed class RangeOptions
{
    public Option<string?> From { get; } = new("--from") { Description = "First date (YYYY-MM-DD), inclusive." };

    public Option<string?> To { get; } = new("--to") { Description = "Last date (YYYY-MM-DD), inclusive." };

    public Option<string?> Last { get; } = new("--last") { Description = "A span ending today: 30d, 8w, 6m or 2y." };

    public void AddTo(Command command)
    {
        command.Options.Add(From);
        command.Options.Add(To);
        command.Options.Add(Last);
    }

    public (DateOnly? From, DateOnly? To) Read(CommandContext context) => context.ReadRange(From, To, Last);
}
