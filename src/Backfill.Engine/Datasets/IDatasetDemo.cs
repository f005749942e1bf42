namespace Backfill.Engine.Datasets;

/// <summary>
/// <c>demo</c> for a dataset: starts its embedded simulator, then the Cli runs the steps (ordinary backfill command
/// lines) against a temporary folder with the settings given, and prints the closing lines.
/// </summary>
public interface IDatasetDemo
{
    /// <summary>What the demo does, for <c>demo --help</c>.</summary>
    string Summary { get; }

    Task<DemoSession> StartAsync(DemoRequest request, CancellationToken cancellationToken);
}

/// <param name="Folder">The demo's data folder (the ledger, outputs and temp files go below it).</param>
/// <param name="Date">The <c>--date</c> given, or null for the demo's own.</param>
/// <param name="Scale">The <c>--scale</c> given (1 = real size).</param>
/// <param name="MaxDte">The <c>--max-dte</c> given (0 = all).</param>
public sealed record DemoRequest(string Folder, string? Date, double Scale, int MaxDte, TimeProvider Time);

/// <summary>A started demo: the simulator (disposed at the end), the settings and the command lines to run.</summary>
/// <param name="Intro">Lines printed before the steps (where the simulator listens).</param>
/// <param name="Settings">key=value settings every step gets (the simulator's URL, the folders).</param>
/// <param name="Steps">Command lines run in order (without --dataset, --db, --format and the settings); the demo stops at the first that fails.</param>
/// <param name="Closing">Lines printed after every step succeeded (where the output is, how to query it), given the folder.</param>
public sealed record DemoSession(
    IAsyncDisposable Simulator,
    IReadOnlyList<string> Intro,
    IReadOnlyList<string> Settings,
    IReadOnlyList<IReadOnlyList<string>> Steps,
    Func<string, IReadOnlyList<string>> Closing,
    IReadOnlyDictionary<string, string>? Environment = null) : IAsyncDisposable
{
    /// <summary>What the user is told when the demo's folder is removed (<c>demo --clean</c>) and nothing more is said.</summary>
    public const string DefaultRemovedNote = "Removed the demo's folder (--clean); run the demo without --clean to keep it and see how to query it.";

    /// <summary>What the user is told when the demo's folder is removed (<c>demo --clean</c>).</summary>
    public string RemovedNote { get; init; } = DefaultRemovedNote;

    public ValueTask DisposeAsync() => Simulator.DisposeAsync();
}
