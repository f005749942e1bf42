namespace Backfill.Cli.Rendering;

/// <summary>
/// What a command shows, independent of the format: named columns and typed cells (strings, numbers,
/// dates, booleans, null). Table, JSON and CSV renderings are derived from it.
/// </summary>
internal sealed class ResultTable(string title, params string[] columns)
{
    private readonly List<object?[]> _rows = [];
    private bool _perDataset;

    /// <summary>
    /// A table of one dataset's rows, or of a family's members' (<c>--dataset options</c>): then the first column is
    /// <c>dataset</c>, filled by <see cref="AddFor"/>, and <see cref="NoteFor"/> names the member in its notes.
    /// </summary>
    public static ResultTable PerDataset(string title, bool family, params string[] columns) =>
        new(title, family ? ["dataset", .. columns] : columns) { _perDataset = family };

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

    /// <summary>A row of <paramref name="dataset"/>: its name goes in the first column of a family's table.</summary>
    public ResultTable AddFor(string dataset, params object?[] cells) => Add(_perDataset ? [dataset, .. cells] : cells);

    /// <summary>A note about <paramref name="dataset"/>, led by its name in a family's table.</summary>
    public void NoteFor(string dataset, string note) => Notes.Add(_perDataset ? $"{dataset}: {note}" : note);
}
