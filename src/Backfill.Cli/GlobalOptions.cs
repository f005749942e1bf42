using System.CommandLine;
using Backfill.Cli.Rendering;

namespace Backfill.Cli;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static Option<string> Dataset { get; } = new("--dataset", "-d")
    {
        Description = $"Dataset to work on (default {Engine.Datasets.DatasetRegistry.DefaultName}): {string.Join(", ", Engine.Datasets.DatasetRegistry.Default.Names)}.",
        DefaultValueFactory = _ => Engine.Datasets.DatasetRegistry.DefaultName,
        Recursive = true,
    };

    public static Option<string?> Database { get; } = new("--db")
    {
        Description = "Ledger: a SQLite file (default ./data/backfill.db) or postgres://user:password@host:5432/db (overrides BACKFILL_DATABASE_PATH / BACKFILL_DATABASE_URL).",
        Recursive = true,
    };

    public static Option<OutputFormat> Format { get; } = new("--format", "-f")
    {
        Description = "Output format: table, json or csv.",
        DefaultValueFactory = _ => OutputFormat.Table,
        Recursive = true,
    };

    public static Option<string[]> Set { get; } = new("--set")
    {
        Description = "Override a setting for this run: --set key=value (repeatable; beats env and stored values).",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Show debug logs and stack traces.",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Dataset, Database, Format, Set, Verbose];
}
