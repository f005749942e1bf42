namespace Backfill.Bench;

/// <summary>One benchmark: prints its figures to standard output. Found by reflection, run by name.</summary>
internal interface IBenchmark
{
    /// <summary>The name typed on the command line, e.g. <c>gaps</c>.</summary>
    string Name { get; }

    /// <summary>One line shown by <c>--list</c>.</summary>
    string Description { get; }

    /// <param name="args">Arguments after the name.</param>
    /// <returns>Exit code.</returns>
    Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
}
