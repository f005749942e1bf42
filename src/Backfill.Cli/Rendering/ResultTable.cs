namespace Backfill.Cli.Rendering;

/// <summary>
/// What a command shows, independent of the format: named columns and typed cells (strings, numbers,
/// dates, booleans, null). Table, JSON and CSV renderings are derived from it.
/// </summary>
internal sealed class ResultTable(string title, params string[] columns)
{
    private readonly List<object?[]> _rows = [];

    public string Title { get; } = title;

    public IReadOnlyList<string> Columns { get; } = columns;

    public IReadOnlyList<object?[]> Rows => _rows;

    /// <summary>Lines printed under a table (not part of JSON/CSV).</summary>
    public List<string> Notes { get; } = [];

    public ResultTable Add(params object?[] cells)
    {
        if (cells.Length != Columns.Count)
        {
            throw new ArgumentException($"Expected {Columns.Count} cells, got {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }
}
