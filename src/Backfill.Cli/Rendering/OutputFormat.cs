namespace Backfill.Cli.Rendering;

internal enum OutputFormat
{
    Table,
    Json,
    Csv,
}
